/**
 * A consumer in a process of its own whose handler never finishes: it appends one line to
 * <handled-file> (synchronously), prints `handling`, and waits for the test to SIGKILL the process
 * mid-handling — so a test can show that a message which crashes its consumer every time is still
 * dead-lettered after `maxDeliveries`. Loads the TypeScript sources (through
 * `@wlm/test-support/typescript-sources`). Prints `consuming` once subscribed. On SIGTERM it closes
 * its connection, so what it settled (a dead-lettered message's ack) reaches the broker, and exits 0.
 * Usage: node crashing-consumer.js <amqp-url> <namespace> <max-deliveries> <handled-file>
 */
// Before anything else, even the requires (loading the TypeScript sources takes a while): the test
// may stop this process before it ever consumes, when the message was dead-lettered already.
/** Set once connected: what a SIGTERM closes before exiting. */
let amqp;
process.once('SIGTERM', () => {
  (amqp === undefined ? Promise.resolve() : amqp.close()).then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

const { appendFileSync } = require('node:fs');
require('@wlm/test-support/typescript-sources');
const { AmqpConnection, WlmTopology } = require('@wlm/commons/amqp');
const { createLogger } = require('@wlm/commons/logging');
const { taskRequestSchema } = require('@wlm/commons/wire');

const [url, namespace, maxDeliveries, handledFile] = process.argv.slice(2);

async function main() {
  const topology = new WlmTopology(namespace);
  amqp = await AmqpConnection.connect({
    url,
    logger: createLogger({ component: 'crashing-consumer', level: 'silent', pretty: false }),
    topology: topology.core(),
    connectionName: 'crashing-consumer',
    maxDeliveries: Number(maxDeliveries),
  });
  await amqp.consume(topology.queues.schedulerRequests, taskRequestSchema, (request, delivery) => {
    appendFileSync(handledFile, `${request.taskId} ${delivery.deliveries}\n`);
    console.log('handling');
    return new Promise(() => undefined);
  });
  console.log('consuming');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

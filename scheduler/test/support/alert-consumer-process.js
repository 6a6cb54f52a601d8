/**
 * The scheduler's admin-mail consumer (IncidentMailer + AdminMailer on the stack's SMTP sink) in a
 * process of its own, so a test can kill it in the window between sending a mail and acknowledging
 * the reports. Loads the TypeScript sources (through `@wlm/test-support/typescript-sources`).
 * Logs JSON to stderr; prints `consuming` once subscribed and `mailed` after each mail.
 * With `crash-after-mail` it SIGKILLs itself right after its first mail, before the ack.
 * SIGTERM stops it gracefully (reports in hand are finished and acknowledged).
 * Usage: node alert-consumer-process.js <namespace> <crash-after-mail|normal>
 */
const { writeSync } = require('node:fs');
require('@wlm/test-support/typescript-sources');
const pino = require('pino');
const { AmqpConnection, WlmTopology } = require('@wlm/commons/amqp');
const { loadConfig } = require('@wlm/commons/config');
const { AdminMailer, IncidentMailer } = require('@wlm/scheduler');

const [namespace, mode] = process.argv.slice(2);

async function main() {
  const config = loadConfig();
  // Written synchronously: the line saying the mail went out must be out before the SIGKILL.
  const logger = pino({ level: 'info' }, pino.destination({ dest: 2, sync: true }));
  const topology = new WlmTopology(namespace);
  const amqp = await AmqpConnection.connect({
    url: config.rabbitmq.url,
    logger,
    topology: topology.core(),
    connectionName: `alert-consumer-${mode}`,
  });
  const mailer = new AdminMailer(config.smtp, logger);
  const consumer = new IncidentMailer({
    amqp,
    topology,
    mailer,
    logger,
    collectMs: 200,
    onMailed: () => {
      writeSync(1, 'mailed\n');
      // Sent, not yet acknowledged: the crash window.
      if (mode === 'crash-after-mail') process.kill(process.pid, 'SIGKILL');
    },
  });
  await consumer.start();
  process.once('SIGTERM', () => {
    void consumer
      .stop()
      .then(() => amqp.close())
      .then(() => {
        mailer.close();
        process.exit(0);
      });
  });
  writeSync(1, 'consuming\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

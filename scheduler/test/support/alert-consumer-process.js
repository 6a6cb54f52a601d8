/**
 * The scheduler's admin-mail consumer (IncidentMailer + AdminMailer on the stack's SMTP sink) in a
 * process of its own, so a test can kill it in the window between sending a mail and acknowledging
 * the reports. Loads the TypeScript sources directly (transpiled by @swc/core, as jest does).
 * Logs JSON to stderr; prints `consuming` once subscribed and `mailed` after each mail.
 * With `crash-after-mail` it SIGKILLs itself right after its first mail, before the ack.
 * SIGTERM stops it gracefully (reports in hand are finished and acknowledged).
 * Usage: node alert-consumer-process.js <namespace> <crash-after-mail|normal>
 */
const Module = require('node:module');
const { readFileSync, writeSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');

const root = join(__dirname, '..', '..', '..');
const packages = {
  '@wlm/commons': join(root, 'commons', 'src', 'index.ts'),
  '@wlm/scheduler': join(root, 'scheduler', 'src', 'index.ts'),
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, packages[request] ?? request, ...rest);
};
Module._extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

const pino = require('pino');
const { AmqpConnection, WlmTopology, loadConfig } = require('@wlm/commons');
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

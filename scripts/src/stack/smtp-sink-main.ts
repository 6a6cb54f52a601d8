/**
 * Entry point of the SMTP sink process `wlm stack up` starts:
 * `node smtp-sink-main.js --host 127.0.0.1 --port 2525 --dir <stack dir>/smtp/mails`.
 * Logs JSON lines to stderr, which the stack sends to `<stack dir>/logs/smtp.log`.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '@wlm/commons/logging';
import { createSmtpSink } from './smtp-sink';

function main(): void {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '2525' },
      dir: { type: 'string' },
    },
  });
  const logger = createLogger({ component: 'smtp-sink', pretty: false });
  const port = Number(values.port);
  if (values.dir === undefined || !Number.isInteger(port)) {
    logger.fatal('usage: smtp-sink-main --host HOST --port PORT --dir MAIL_DIR');
    process.exit(2);
  }
  const server = createSmtpSink({ mailDir: values.dir, logger });
  server.on('error', (error) => {
    logger.fatal({ err: error }, 'SMTP sink failed');
    process.exit(1);
  });
  server.listen(port, values.host, () =>
    logger.info({ host: values.host, port, dir: values.dir }, 'listening'),
  );
  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    // A second signal means "now": skip waiting for open sessions.
    if (closing) process.exit(1);
    closing = true;
    logger.info({ signal }, 'closing');
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main();

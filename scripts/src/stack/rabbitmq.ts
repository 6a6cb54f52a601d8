import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { formatHostPort } from '@wlm/commons/net';
import { connect } from 'amqplib';
import { StackComponentError } from '../errors/stack-component-error';
import { hostPortOfUrl } from './address';
import { ensureDebianPackage } from './debian';
import { findListenerPid } from './listener-pid';
import { spawnDetached, writePidFile } from './process-supervisor';
import { componentLogFile, componentPidFile } from './paths';
import { waitForPort } from './tcp-probe';
import type { HostPort } from '@wlm/commons/net';
import type { ComponentEnv, Reporter, StackComponent } from './types';

const RABBITMQ_CONF = '/etc/rabbitmq/rabbitmq.conf';
const RABBITMQ_ENV_CONF = '/etc/rabbitmq/rabbitmq-env.conf';

function appendMissing(file: string, key: RegExp, lines: string): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (!key.test(current))
    appendFileSync(file, `${current === '' || current.endsWith('\n') ? '' : '\n'}${lines}\n`);
}

/**
 * A freshly installed Debian RabbitMQ listens on every interface, and so do epmd and Erlang
 * distribution. The stack promises 127.0.0.1 only; settings an admin already made are kept.
 */
function configureLocalOnly(address: HostPort): void {
  mkdirSync('/etc/rabbitmq', { recursive: true });
  appendMissing(RABBITMQ_CONF, /^\s*listeners\.tcp\./m, `listeners.tcp.local = ${formatHostPort(address)}`);
  appendMissing(RABBITMQ_ENV_CONF, /^\s*NODENAME=/m, 'NODENAME=rabbit@localhost');
  appendMissing(RABBITMQ_ENV_CONF, /^\s*ERL_EPMD_ADDRESS=/m, 'ERL_EPMD_ADDRESS=127.0.0.1');
  appendMissing(
    RABBITMQ_ENV_CONF,
    /inet_dist_use_interface/,
    'export ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"',
  );
}

/** RabbitMQ from Debian, used as is when it already answers (as on CI). */
export function rabbitmqComponent({ config, paths }: ComponentEnv): StackComponent {
  const logFile = componentLogFile(paths, 'rabbitmq');
  const pidFile = componentPidFile(paths, 'rabbitmq');
  const address = hostPortOfUrl(config.rabbitmq.url, 5672);
  return {
    name: 'rabbitmq',
    address,
    logFile,
    pidFile,
    processMarker: 'beam',
    async start(report: Reporter) {
      const installed = await ensureDebianPackage({
        component: 'rabbitmq',
        binary: 'rabbitmq-server',
        packageName: 'rabbitmq-server',
        logFile,
        report,
      });
      if (installed) configureLocalOnly(address);
      // `-detached` forks the Erlang VM and exits at once: its exit says nothing about the server.
      await spawnDetached({ command: 'rabbitmq-server', args: ['-detached'], logFile }).catch(
        (error: unknown) => {
          throw new StackComponentError('rabbitmq', (error as Error).message, logFile, { cause: error });
        },
      );
      report('info', 'rabbitmq-server -detached, waiting for it to answer');
      const outcome = await waitForPort({ address, timeoutMs: 120_000, report });
      if (!outcome.ok) {
        throw new StackComponentError(
          'rabbitmq',
          `did not start: ${outcome.reason}`,
          `${logFile} and /var/log/rabbitmq/`,
        );
      }
      const pid = findListenerPid(address.port);
      if (pid !== undefined) writePidFile(pidFile, pid);
      else
        report(
          'info',
          `cannot tell which process listens on ${address.port}; \`stack down\` will leave it running`,
        );
    },
    async version() {
      const connection = await connect(config.rabbitmq.url, { timeout: 3000 });
      try {
        const version = connection.connection.serverProperties.version;
        if (version === undefined) throw new Error('RabbitMQ did not announce its version');
        return version;
      } finally {
        await connection.close();
      }
    },
  };
}

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'amqplib';
import type { TestCertificates } from './certificates';
import { ServerProcess } from './server-process';
import { waitFor } from '@wlm/test-support';

export const TLS_MQ_USER = 'wlm';
export const TLS_MQ_PASSWORD = 'wlm-tls-test-password';

/** The node's own script: Debian's `/usr/sbin/rabbitmq-server` wrapper would switch to the rabbitmq user. */
const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export interface TlsRabbitmqPorts {
  /** AMQPS, the only client listener. */
  readonly amqps: number;
  /** Erlang distribution, so the node does not take 25672 from the shared one. */
  readonly distribution: number;
}

/**
 * A RabbitMQ node of its own: its own node name, config, mnesia and log dirs, an Erlang cookie in a
 * HOME of its own, and a TLS listener only. It registers its name with the machine's epmd, as any
 * second node would, and touches nothing of the shared node.
 */
export async function startTlsRabbitmq(
  dir: string,
  ports: TlsRabbitmqPorts,
  certificates: TestCertificates,
): Promise<ServerProcess> {
  for (const sub of ['home', 'mnesia', 'log']) mkdirSync(join(dir, sub), { recursive: true });
  const config = join(dir, 'rabbitmq.conf');
  writeFileSync(
    config,
    [
      'listeners.tcp = none',
      `listeners.ssl.default = 127.0.0.1:${ports.amqps}`,
      `ssl_options.cacertfile = ${certificates.ca}`,
      `ssl_options.certfile = ${certificates.serverCert}`,
      `ssl_options.keyfile = ${certificates.serverKey}`,
      'ssl_options.verify = verify_none',
      'ssl_options.fail_if_no_peer_cert = false',
      `default_user = ${TLS_MQ_USER}`,
      `default_pass = ${TLS_MQ_PASSWORD}`,
      '',
    ].join('\n'),
  );
  const plugins = join(dir, 'enabled_plugins');
  writeFileSync(plugins, '[].\n');
  // The machine's rabbitmq-env.conf names the shared node: this one reads an empty file instead.
  const envFile = join(dir, 'rabbitmq-env.conf');
  writeFileSync(envFile, '');
  const node = `wlmtls${randomBytes(3).toString('hex')}@localhost`;
  const server = new ServerProcess(
    'rabbitmq-server (TLS)',
    RABBITMQ_SERVER,
    [],
    join(dir, 'rabbitmq-server.log'),
    {
      cwd: dir,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        LANG: 'C.UTF-8',
        HOME: join(dir, 'home'),
        RABBITMQ_NODENAME: node,
        RABBITMQ_CONF_ENV_FILE: envFile,
        RABBITMQ_CONFIG_FILE: config,
        RABBITMQ_ENABLED_PLUGINS_FILE: plugins,
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_DIST_PORT: String(ports.distribution),
        ERL_EPMD_ADDRESS: '127.0.0.1',
        RABBITMQ_SERVER_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
      },
    },
  );
  const ca = readFileSync(certificates.ca);
  const url = `amqps://${TLS_MQ_USER}:${TLS_MQ_PASSWORD}@127.0.0.1:${ports.amqps}`;
  try {
    await waitFor(
      'the TLS RabbitMQ to accept an amqps connection',
      async () => {
        if (!server.running) throw new Error('rabbitmq-server exited');
        const connection = await connect(url, { ca: [ca], timeout: 2000 }).catch(() => undefined);
        await connection?.close();
        return connection !== undefined;
      },
      120_000,
    );
  } catch (error) {
    await server.stop();
    throw new Error(`${(error as Error).message}\n${server.logTail()}`);
  }
  return server;
}

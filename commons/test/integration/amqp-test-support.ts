import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import { AmqpConnection, WlmTopology, createLogger, deleteTopology } from '@wlm/commons';
import type { AmqpConnectionOptions, TopologySpec } from '@wlm/commons';

export const AMQP_URL = process.env['WLM_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Silent unless WLM_TEST_LOG_LEVEL asks for more (e.g. `debug`). */
export const testLogger = createLogger({
  component: 'amqp-test',
  level: (process.env['WLM_TEST_LOG_LEVEL'] as 'debug' | undefined) ?? 'silent',
  pretty: false,
});

/** A topology under a namespace of its own, so each test file only ever touches its own queues. */
export function isolatedTopology(file: string): WlmTopology {
  return new WlmTopology(`wlmtest-${file}-${randomBytes(4).toString('hex')}`);
}

/** Connections a test of this file opened; those a failing test left open are closed after the file. */
const opened = new Set<AmqpConnection>();

// Registered when a test file imports this module: a connection left open would keep jest running.
afterAll(async () => {
  await Promise.allSettled([...opened].map((connection) => connection.close()));
  opened.clear();
});

export async function connectForTest(
  topology: TopologySpec,
  options: Partial<AmqpConnectionOptions> = {},
): Promise<AmqpConnection> {
  const connection = await AmqpConnection.connect({
    url: AMQP_URL,
    logger: testLogger,
    topology,
    connectionName: 'wlm-test',
    reconnect: { initialDelayMs: 50, maxDelayMs: 1000 },
    ...options,
  });
  opened.add(connection);
  return connection;
}

/**
 * A plain amqplib connection beside the one under test: to inspect queues and clean up without
 * depending on the code being tested.
 */
export class BrokerProbe {
  private constructor(
    private readonly model: ChannelModel,
    private readonly channel: Channel,
  ) {}

  static async open(): Promise<BrokerProbe> {
    const model = await connect(AMQP_URL);
    model.on('error', () => undefined);
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    return new BrokerProbe(model, channel);
  }

  async messageCount(queue: string): Promise<number> {
    return (await this.channel.checkQueue(queue)).messageCount;
  }

  async get(queue: string): Promise<GetMessage | false> {
    const message = await this.channel.get(queue, { noAck: true });
    return message;
  }

  /** Sends raw bytes, bypassing every schema: how poison reaches a consumer. */
  async sendRaw(queue: string, content: Buffer, priority?: number): Promise<void> {
    const channel = await this.model.createConfirmChannel();
    channel.sendToQueue(queue, content, {
      persistent: true,
      ...(priority === undefined ? {} : { priority }),
    });
    await channel.waitForConfirms();
    await channel.close();
  }

  async deleteAll(spec: TopologySpec): Promise<void> {
    await deleteTopology(this.channel, spec);
  }

  async close(): Promise<void> {
    await this.model.close().catch(() => undefined);
  }
}

const run = promisify(execFile);

/**
 * Has the broker force-close (CONNECTION_FORCED, as `rabbitmqctl close_all_connections` does) every
 * connection named `connectionName`. Only ours: other test files run in parallel on the same broker.
 * Returns how many were closed.
 */
export async function forceCloseConnections(connectionName: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', [
    'list_connections',
    'pid',
    'client_properties',
    '-q',
    '--no-table-headers',
  ]);
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(`{"connection_name","${connectionName}"}`))
    .map((line) => line.split('\t')[0] ?? '');
  for (const pid of pids)
    await run('rabbitmqctl', ['close_connection', pid, 'wlm integration test: forced close']);
  return pids.length;
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A promise with its resolve exposed, to hold a handler open for as long as a test wants. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

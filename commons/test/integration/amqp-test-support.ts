import { connect } from 'amqplib';
import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import { AmqpConnection, WlmTopology, deleteTopology } from '@wlm/commons/amqp';
import type { AmqpConnectionOptions, TopologySpec } from '@wlm/commons/amqp';
import { AMQP_URL, createTestLogger, testNamespace, waitFor } from '@wlm/test-support';

/** Silent unless WLM_TEST_LOG_LEVEL asks for more (e.g. `debug`). */
export const testLogger = createTestLogger('amqp-test');

/** A topology under a namespace of its own, so each test file only ever touches its own queues. */
export function isolatedTopology(file: string): WlmTopology {
  return new WlmTopology(testNamespace(`wlmtest-${file}-`));
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

  /** Consumers the broker still counts: 0 once it has seen a killed consumer's connection close and requeued what that consumer held. */
  async consumerCount(queue: string): Promise<number> {
    return (await this.channel.checkQueue(queue)).consumerCount;
  }

  async get(queue: string): Promise<GetMessage | false> {
    const message = await this.channel.get(queue, { noAck: true });
    return message;
  }

  /** Waits for the next message in `queue` and takes it. */
  async next(queue: string): Promise<GetMessage> {
    let message: GetMessage | false = false;
    await waitFor(`a message in ${queue}`, async () => {
      message = await this.get(queue);
      return message !== false;
    });
    return message as unknown as GetMessage;
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

/** A promise with its resolve exposed, to hold a handler open for as long as a test wants. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

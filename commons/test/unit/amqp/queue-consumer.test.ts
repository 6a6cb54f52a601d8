import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumeMessage } from 'amqplib';
import { z } from 'zod';
import { DEAD_LETTER_HEADERS, DELIVERY_HEADERS, REDELIVERY_LIMIT } from '@wlm/commons/amqp';
import { WlmError } from '@wlm/commons/errors';
import { createLogger } from '@wlm/commons/logging';
import type { PublishOptions } from '@wlm/commons/amqp';
import { QueueConsumer } from '../../../src/amqp/queue-consumer';
import type {
  ChannelSource,
  ConsumerChannel,
  LostSettlement,
  MessageHandler,
} from '../../../src/amqp/queue-consumer';

/*
 * The consumer's decisions about each delivery, with the channel and the publisher under the test's
 * control: what it acks, requeues, republishes (a counted copy) or dead-letters, and in which order.
 * Everything it does lands in one journal, so an ack before its publish is confirmed shows up.
 */

const schema = z.object({ v: z.literal(1), n: z.number() });
type Body = z.output<typeof schema>;

const QUEUE = 'q.work';
const DLX = 'dlx';
const MAX_DELIVERIES = 3;

interface Publish {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: unknown;
  readonly headers: Record<string, unknown>;
}

/** The journal of one consumer's channel and publishes. */
class Journal {
  readonly steps: string[] = [];
  readonly publishes: Publish[] = [];
  readonly lost: LostSettlement[] = [];
  readonly deadLettered: string[] = [];
  /** Publishes refused from now on. */
  refusePublishes = false;
  /** Held publishes: each resolves when the test opens it. */
  holdPublishes = false;
  readonly held: Array<() => void> = [];

  async publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: PublishOptions,
  ): Promise<void> {
    const record: Publish = {
      exchange,
      routingKey,
      body: JSON.parse(content.toString('utf8')) as unknown,
      headers: { ...(options.headers ?? {}) },
    };
    this.steps.push(`publish ${exchange || '(default)'}/${routingKey} started`);
    if (this.holdPublishes) await new Promise<void>((resolve) => this.held.push(resolve));
    if (this.refusePublishes) {
      this.steps.push('publish refused');
      throw new Error('channel closed');
    }
    this.publishes.push(record);
    this.steps.push(`publish ${exchange || '(default)'}/${routingKey} confirmed`);
  }
}

/** One channel whose deliveries the test pushes and whose settlements land in the journal. */
class FakeChannel implements ConsumerChannel {
  private deliver: ((message: ConsumeMessage | null) => void) | undefined;
  private readonly closeListeners: Array<(error?: Error) => void> = [];
  prefetched = 0;
  cancelled = false;

  constructor(private readonly journal: Journal) {}

  async prefetch(count: number): Promise<void> {
    this.prefetched = count;
  }

  async consume(
    queue: string,
    onMessage: (message: ConsumeMessage | null) => void,
  ): Promise<{ consumerTag: string }> {
    this.deliver = onMessage;
    return { consumerTag: `tag-${queue}` };
  }

  async cancel(): Promise<void> {
    this.cancelled = true;
  }

  ack(message: ConsumeMessage): void {
    this.journal.steps.push(`ack ${message.fields.deliveryTag}`);
  }

  nack(message: ConsumeMessage, _allUpTo: boolean, requeue: boolean): void {
    this.journal.steps.push(`nack ${message.fields.deliveryTag} requeue=${requeue}`);
  }

  async close(): Promise<void> {
    this.lose();
  }

  on(event: 'error' | 'close', listener: (error?: Error) => void): void {
    if (event === 'close') this.closeListeners.push(listener);
  }

  /** The broker closes the channel (or the connection goes). */
  lose(): void {
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  push(message: ConsumeMessage): void {
    if (this.deliver === undefined) throw new Error('not consuming');
    this.deliver(message);
  }
}

let nextTag = 1;

function delivery(
  body: unknown,
  { redelivered = false, headers = {} }: { redelivered?: boolean; headers?: Record<string, unknown> } = {},
): ConsumeMessage {
  return {
    content: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    fields: {
      deliveryTag: nextTag++,
      redelivered,
      exchange: 'work-exchange',
      routingKey: 'work.key',
      consumerTag: 'tag',
    },
    properties: { headers, messageId: 'm-1', priority: 3 },
  } as unknown as ConsumeMessage;
}

interface Setup {
  readonly consumer: QueueConsumer<typeof schema>;
  readonly channel: FakeChannel;
  readonly journal: Journal;
  readonly handled: Array<{ body: Body; deliveries: number }>;
}

async function consuming(handler: MessageHandler<Body>): Promise<Setup> {
  const journal = new Journal();
  const channel = new FakeChannel(journal);
  const handled: Array<{ body: Body; deliveries: number }> = [];
  const source: ChannelSource = { createChannel: async () => channel };
  const consumer = new QueueConsumer({
    queue: QUEUE,
    schema,
    handler: async (body, info) => {
      handled.push({ body, deliveries: info.deliveries });
      await handler(body, info);
    },
    // No pause between deliveries: the tests are about what happens, not when.
    options: { prefetch: 4, retryDelayMs: 0, maxRetryDelayMs: 0 },
    deadLetterExchange: DLX,
    maxDeliveries: MAX_DELIVERIES,
    consumerName: 'test consumer',
    publish: (exchange, routingKey, content, options) =>
      journal.publish(exchange, routingKey, content, options),
    currentModel: () => undefined,
    onServerCancel: () => undefined,
    onSettlementLost: (lost) => journal.lost.push(lost),
    onDeadLettered: (_queue, code) => journal.deadLettered.push(code),
    log: createLogger({ component: 'test', level: 'silent', pretty: false }),
  });
  await consumer.attach(source);
  return { consumer, channel, journal, handled };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Waits until `condition` holds: a few turns of the event loop, then short sleeps for what waits on a
 * timer (a requeue's pause); bounded in turns and in time, else fails naming what never happened.
 */
async function until(what: string, condition: () => boolean, withinMs = 3_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (let turn = 0; turn < 1_000 && !condition() && Date.now() < deadline; turn += 1) {
    await (turn < 50 ? flush() : sleep(10));
  }
  if (!condition()) throw new Error(`never happened: ${what}`);
}

describe('QueueConsumer', () => {
  let setup: Setup | undefined;

  afterEach(async () => {
    await setup?.consumer.stop({ handlerTimeoutMs: 1_000 });
    setup = undefined;
  });

  it('subscribes with its prefetch and acks a message its handler took', async () => {
    setup = await consuming(() => undefined);
    const { channel, journal, handled } = setup;
    expect(channel.prefetched).toBe(4);
    const message = delivery({ v: 1, n: 7 });
    channel.push(message);
    await until('the ack', () => journal.steps.length > 0);
    expect(handled).toEqual([{ body: { v: 1, n: 7 }, deliveries: 1 }]);
    expect(journal.steps).toEqual([`ack ${message.fields.deliveryTag}`]);
    expect(journal.publishes).toEqual([]);
  });

  it('dead-letters a message its schema refuses without handling it, and acks only after the dead letter is confirmed', async () => {
    setup = await consuming(() => undefined);
    const { channel, journal, handled } = setup;
    journal.holdPublishes = true;
    const message = delivery({ v: 1, n: 'seven' });
    channel.push(message);
    await until('the dead-letter publish', () => journal.held.length === 1);
    expect(journal.steps).toEqual([`publish ${DLX}/${QUEUE} started`]);
    journal.held[0]?.();
    await until('the ack', () => journal.steps.length === 3);
    expect(journal.steps).toEqual([
      `publish ${DLX}/${QUEUE} started`,
      `publish ${DLX}/${QUEUE} confirmed`,
      `ack ${message.fields.deliveryTag}`,
    ]);
    expect(handled).toEqual([]);
    expect(journal.publishes[0]?.headers[DEAD_LETTER_HEADERS.errorCode]).toBe('MESSAGE_INVALID');
    expect(journal.publishes[0]?.headers[DEAD_LETTER_HEADERS.error]).toMatch(/n/);
    expect(journal.deadLettered).toEqual(['MESSAGE_INVALID']);
  });

  it('dead-letters at once, with the error and its code, a message whose handler fails for good', async () => {
    setup = await consuming(() => {
      throw new WlmError('CONFIG_INVALID', 'nothing will fix this', { retryable: false });
    });
    const { channel, journal } = setup;
    channel.push(delivery({ v: 1, n: 1 }));
    await until('the ack', () => journal.steps.some((step) => step.startsWith('ack')));
    expect(journal.publishes).toHaveLength(1);
    const [dead] = journal.publishes;
    expect(dead?.exchange).toBe(DLX);
    expect(dead?.body).toEqual({ v: 1, n: 1 });
    expect(dead?.headers[DEAD_LETTER_HEADERS.errorCode]).toBe('CONFIG_INVALID');
    expect(dead?.headers[DEAD_LETTER_HEADERS.error]).toContain('nothing will fix this');
    expect(dead?.headers[DEAD_LETTER_HEADERS.deliveries]).toBe(1);
    expect(dead?.headers[DEAD_LETTER_HEADERS.sourceExchange]).toBe('work-exchange');
  });

  it('gives a message that failed retryably another, counted delivery: a copy to its queue, then the ack', async () => {
    setup = await consuming(() => {
      throw new WlmError('AMQP_PUBLISH_FAILED', 'not confirmed', { retryable: true });
    });
    const { channel, journal } = setup;
    const message = delivery({ v: 1, n: 2 });
    channel.push(message);
    await until('the ack', () => journal.steps.some((step) => step.startsWith('ack')));
    expect(journal.steps).toEqual([
      `publish (default)/${QUEUE} started`,
      `publish (default)/${QUEUE} confirmed`,
      `ack ${message.fields.deliveryTag}`,
    ]);
    const [copy] = journal.publishes;
    expect(copy?.headers[DELIVERY_HEADERS.deliveries]).toBe(1);
    expect(copy?.headers[DELIVERY_HEADERS.originalExchange]).toBe('work-exchange');
    expect(copy?.headers[DELIVERY_HEADERS.originalRoutingKey]).toBe('work.key');
    expect(String(copy?.headers[DELIVERY_HEADERS.lastError])).toContain('not confirmed');
  });

  it('dead-letters a retryable failure on the last delivery allowed, as REDELIVERY_LIMIT', async () => {
    setup = await consuming(() => {
      throw new WlmError('AMQP_PUBLISH_FAILED', 'still not confirmed', { retryable: true });
    });
    const { channel, journal, handled } = setup;
    channel.push(
      delivery({ v: 1, n: 3 }, { headers: { [DELIVERY_HEADERS.deliveries]: MAX_DELIVERIES - 1 } }),
    );
    await until('the ack', () => journal.steps.some((step) => step.startsWith('ack')));
    expect(handled).toEqual([{ body: { v: 1, n: 3 }, deliveries: MAX_DELIVERIES }]);
    expect(journal.publishes).toHaveLength(1);
    expect(journal.publishes[0]?.exchange).toBe(DLX);
    expect(journal.publishes[0]?.headers[DEAD_LETTER_HEADERS.errorCode]).toBe(REDELIVERY_LIMIT);
    expect(journal.deadLettered).toEqual([REDELIVERY_LIMIT]);
  });

  it('hands a message back uncounted when its handler is shutting down', async () => {
    setup = await consuming(() => {
      throw new WlmError('SHUTTING_DOWN', 'going away', { retryable: true });
    });
    const { channel, journal } = setup;
    channel.push(delivery({ v: 1, n: 4 }, { headers: { [DELIVERY_HEADERS.deliveries]: 1 } }));
    await until('the ack', () => journal.steps.some((step) => step.startsWith('ack')));
    expect(journal.publishes).toHaveLength(1);
    expect(journal.publishes[0]?.exchange).toBe('');
    // Delivery 2 ended by handing back: the copy still says 1, as before it.
    expect(journal.publishes[0]?.headers[DELIVERY_HEADERS.deliveries]).toBe(1);
  });

  it('counts a redelivery (its consumer died) in a copy before anyone handles it again', async () => {
    setup = await consuming(() => undefined);
    const { channel, journal, handled } = setup;
    channel.push(delivery({ v: 1, n: 5 }, { redelivered: true }));
    await until('the ack', () => journal.steps.some((step) => step.startsWith('ack')));
    expect(handled).toEqual([]);
    expect(journal.publishes).toHaveLength(1);
    expect(journal.publishes[0]?.routingKey).toBe(QUEUE);
    expect(journal.publishes[0]?.headers[DELIVERY_HEADERS.deliveries]).toBe(1);
  });

  it('dead-letters without handling a redelivery that used up the limit', async () => {
    setup = await consuming(() => undefined);
    const { channel, journal, handled } = setup;
    channel.push(
      delivery(
        { v: 1, n: 6 },
        { redelivered: true, headers: { [DELIVERY_HEADERS.deliveries]: MAX_DELIVERIES } },
      ),
    );
    await until('the ack', () => journal.steps.some((step) => step.startsWith('ack')));
    expect(handled).toEqual([]);
    expect(journal.publishes[0]?.exchange).toBe(DLX);
    expect(journal.publishes[0]?.headers[DEAD_LETTER_HEADERS.errorCode]).toBe(REDELIVERY_LIMIT);
  });

  it('requeues, never acks, a message whose dead letter the broker refused', async () => {
    setup = await consuming(() => {
      throw new Error('a bug');
    });
    const { channel, journal } = setup;
    journal.refusePublishes = true;
    const message = delivery({ v: 1, n: 8 });
    channel.push(message);
    // The requeue waits a second so a refusing broker is not spun on.
    await until('the requeue', () => journal.steps.some((step) => step.startsWith('nack')));
    expect(journal.steps).toEqual([
      `publish ${DLX}/${QUEUE} started`,
      'publish refused',
      `nack ${message.fields.deliveryTag} requeue=true`,
    ]);
    expect(journal.deadLettered).toEqual([]);
  }, 10_000);

  it('settles nothing on a channel that closed while the handler ran, and reports the lost settlement', async () => {
    let finish = (): void => undefined;
    setup = await consuming(() => new Promise<void>((resolve) => (finish = resolve)));
    const { channel, journal, handled } = setup;
    channel.push(delivery({ v: 1, n: 9 }));
    await until('the handler', () => handled.length === 1);
    channel.lose();
    finish();
    await until('the lost settlement', () => journal.lost.length === 1);
    expect(journal.steps).toEqual([]);
    expect(journal.lost).toEqual([{ queue: QUEUE, messageId: 'm-1', outcome: 'ack' }]);
  });

  it('on stop, cancels the subscription first and waits for a running handler to ack', async () => {
    let finish = (): void => undefined;
    setup = await consuming(() => new Promise<void>((resolve) => (finish = resolve)));
    const { consumer, channel, journal, handled } = setup;
    const message = delivery({ v: 1, n: 10 });
    channel.push(message);
    await until('the handler', () => handled.length === 1);
    const stopped = consumer.stop();
    await until('the cancel', () => channel.cancelled);
    expect(journal.steps).toEqual([]);
    finish();
    await stopped;
    expect(journal.steps).toEqual([`ack ${message.fields.deliveryTag}`]);
  });
});

/**
 * The plumbing of the raw amqplib baseline (raw-amqp-pipeline.ts): three hops shaped like wlm's
 * message path, with nothing of wlm in them — no schemas, no JSON, no connection manager.
 *
 *   producer ──> <prefix>.requests ──> "scheduler" ──> <prefix>.worker ──> "worker"
 *            ──> <prefix>.events (topic, task.completed) ──> <prefix>.orchestrator ──> "orchestrator"
 *
 * Each hop is a connection of its own (as each wlm service is a process of its own) with a consumer
 * channel and a confirm channel; it acks a delivery only once its publish onward is confirmed, as wlm
 * does. Queues are durable classic queues, the work queues with `x-max-priority` 10 like wlm's;
 * every message is persistent.
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';

/** Phase byte, sequence number, send time (performance.now(), ms): what the sink needs per message. */
const HEADER_BYTES = 1 + 4 + 8;

export interface PipelineSettings {
  readonly url: string;
  /** Unacked deliveries per hop consumer. */
  readonly prefetch: number;
  /** Unconfirmed publishes of the producer. */
  readonly maxInFlight: number;
  /** Body size of every message. */
  readonly messageBytes: number;
  /** No message reaching the last hop for this long fails the run instead of hanging it. */
  readonly stallTimeoutMs: number;
}

/** What the last hop saw of one phase. */
export interface PhaseReceipt {
  readonly received: number;
  /** performance.now() of the first publish and the last receipt. */
  readonly firstSentAt: number;
  readonly lastReceivedAt: number;
  /** Producer publish to receipt by the last hop, ms, one per message. */
  readonly latencies: number[];
}

interface PhaseState extends PhaseReceipt {
  received: number;
  firstSentAt: number;
  lastReceivedAt: number;
  readonly expected: number;
  readonly done: () => void;
}

const WORK_QUEUE: Options.AssertQueue = {
  durable: true,
  maxPriority: 10,
  arguments: { 'x-queue-type': 'classic' },
};
const EVENTS_QUEUE: Options.AssertQueue = { durable: true, arguments: { 'x-queue-type': 'classic' } };
const PERSISTENT: Options.Publish = {
  persistent: true,
  priority: 5,
  contentType: 'application/octet-stream',
};

export class RawPipeline {
  readonly names: { requests: string; worker: string; events: string; orchestrator: string };
  private readonly models: ChannelModel[] = [];
  private admin: Channel | undefined;
  private producer: ConfirmChannel | undefined;
  private readonly phases = new Map<number, PhaseState>();
  private failure: Error | undefined;
  private failed: () => void = () => undefined;
  private lastReceiptAt = performance.now();
  serverVersion = 'unknown';

  constructor(
    prefix: string,
    private readonly settings: PipelineSettings,
  ) {
    this.names = {
      requests: `${prefix}.requests`,
      worker: `${prefix}.worker`,
      events: `${prefix}.events`,
      orchestrator: `${prefix}.orchestrator`,
    };
  }

  /** Declares the queues and starts the three hops. */
  async open(): Promise<void> {
    const adminModel = await this.connection('raw-bench-admin');
    this.serverVersion = adminModel.connection.serverProperties.version;
    this.admin = await adminModel.createChannel();
    const { requests, worker, events, orchestrator } = this.names;
    await this.admin.assertExchange(events, 'topic', { durable: true });
    await this.admin.assertQueue(requests, WORK_QUEUE);
    await this.admin.assertQueue(worker, WORK_QUEUE);
    await this.admin.assertQueue(orchestrator, EVENTS_QUEUE);
    await this.admin.bindQueue(orchestrator, events, 'task.#');

    await this.forwardingHop('raw-bench-scheduler', requests, '', worker);
    await this.forwardingHop('raw-bench-worker', worker, events, 'task.completed');
    await this.sinkHop('raw-bench-orchestrator', orchestrator);
    this.producer = await (await this.connection('raw-bench-producer')).createConfirmChannel();
  }

  /**
   * Publishes `count` messages of `phase` and resolves once the last hop has received them all.
   * `rate` (messages/s) paces the producer; without it the producer goes as fast as confirms allow.
   */
  async run(phase: number, count: number, rate?: number, signal?: AbortSignal): Promise<PhaseReceipt> {
    if (this.failure !== undefined) throw this.failure;
    const receipt = new Promise<void>((resolve) =>
      this.phases.set(phase, {
        expected: count,
        received: 0,
        firstSentAt: Number.NaN,
        lastReceivedAt: Number.NaN,
        latencies: [],
        done: resolve,
      }),
    );
    const failure = new Promise<never>((_, reject) => {
      this.failed = () => reject(this.failure);
    });
    // The race below reports it; this only keeps a failure after the race from going unhandled.
    failure.catch(() => undefined);
    this.lastReceiptAt = performance.now();
    const watchdog = setInterval(() => {
      if (performance.now() - this.lastReceiptAt > this.settings.stallTimeoutMs) {
        const state = this.phases.get(phase);
        this.fail(new Error(`phase ${phase} stalled: ${state?.received ?? 0} of ${count} messages arrived`));
      }
    }, 1000);
    const abort = () => this.fail(new Error('interrupted'));
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await Promise.race([Promise.all([this.produce(phase, count, rate), receipt]), failure]);
    } finally {
      clearInterval(watchdog);
      signal?.removeEventListener('abort', abort);
      this.failed = () => undefined;
    }
    const state = this.phases.get(phase) as PhaseState;
    this.phases.delete(phase);
    return state;
  }

  /** Closes the hops (unacked messages go back to their queues), then deletes queues and exchange. */
  async close(): Promise<void> {
    const admin = this.admin;
    for (const model of this.models.slice(1)) await model.close().catch(() => undefined);
    if (admin !== undefined) {
      const { requests, worker, events, orchestrator } = this.names;
      for (const queue of [requests, worker, orchestrator])
        await admin.deleteQueue(queue).catch(() => undefined);
      await admin.deleteExchange(events).catch(() => undefined);
    }
    await this.models[0]?.close().catch(() => undefined);
  }

  private async connection(name: string): Promise<ChannelModel> {
    // Nagle's algorithm off, as wlm's own connections have it: the floor is what the broker gives.
    const model = await connect(this.settings.url, {
      noDelay: true,
      clientProperties: { connection_name: name },
    });
    model.on('error', (error: Error) => this.fail(error));
    this.models.push(model);
    return model;
  }

  private async forwardingHop(
    name: string,
    from: string,
    exchange: string,
    routingKey: string,
  ): Promise<void> {
    const model = await this.connection(name);
    const consumer = await model.createChannel();
    const publisher = await model.createConfirmChannel();
    await consumer.prefetch(this.settings.prefetch);
    await consumer.consume(from, (message) => {
      if (message === null) return this.fail(new Error(`${name}: consumer cancelled by the broker`));
      // Ack only once the next hop's copy is safe: the at-least-once hand-over every wlm hop makes.
      publisher.publish(exchange, routingKey, message.content, PERSISTENT, (error: unknown) => {
        if (error) this.fail(new Error(`${name}: publish not confirmed`));
        else consumer.ack(message);
      });
    });
  }

  private async sinkHop(name: string, from: string): Promise<void> {
    const model = await this.connection(name);
    const consumer = await model.createChannel();
    await consumer.prefetch(this.settings.prefetch);
    await consumer.consume(from, (message) => {
      if (message === null) return this.fail(new Error(`${name}: consumer cancelled by the broker`));
      this.receive(message);
      consumer.ack(message);
    });
  }

  private receive(message: ConsumeMessage): void {
    const now = performance.now();
    this.lastReceiptAt = now;
    const phase = this.phases.get(message.content.readUInt8(0));
    if (phase === undefined) return; // a redelivery from an earlier phase
    phase.received += 1;
    phase.lastReceivedAt = now;
    phase.latencies.push(now - message.content.readDoubleLE(5));
    if (phase.received === phase.expected) phase.done();
  }

  private async produce(phase: number, count: number, rate?: number): Promise<void> {
    const channel = this.producer as ConfirmChannel;
    const state = this.phases.get(phase) as PhaseState;
    const template = Buffer.alloc(Math.max(HEADER_BYTES, this.settings.messageBytes), 'x');
    let inFlight = 0;
    let wake: (() => void) | undefined;
    const start = performance.now();
    state.firstSentAt = start;
    for (let seq = 0; seq < count; seq += 1) {
      if (this.failure !== undefined) return;
      if (rate !== undefined) {
        // Sleep only when more than a millisecond early: timers cannot do finer, and a burst of a
        // few messages within one millisecond is what a paced sender really produces.
        const due = start + (seq * 1000) / rate;
        const early = due - performance.now();
        if (early > 1) await sleep(early);
      }
      while (inFlight >= this.settings.maxInFlight) await new Promise<void>((resolve) => (wake = resolve));
      const body = Buffer.from(template);
      body.writeUInt8(phase, 0);
      body.writeUInt32LE(seq, 1);
      body.writeDoubleLE(performance.now(), 5);
      inFlight += 1;
      const writable = channel.sendToQueue(this.names.requests, body, PERSISTENT, (error: unknown) => {
        inFlight -= 1;
        if (error) this.fail(new Error('producer: publish not confirmed'));
        wake?.();
        wake = undefined;
      });
      // Pipelined, never awaited one by one, but not buffered without bound either.
      if (!writable) await once(channel, 'drain');
    }
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.failed();
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumeMessage } from 'amqplib';
import type { z } from 'zod';
import { isRetryableError, isStoreOutageError } from '../errors/retry';
import { WlmError } from '../errors/wlm-error';
import type { Logger } from '../logging/logger';
import { parseMessage } from '../wire/codec';
import { DEAD_LETTER_HEADERS, deadLetterHeaders, reasonOf } from './dead-letter';
import type { DeadLetterDetails } from './dead-letter';
import {
  DELIVERY_HEADERS,
  REDELIVERY_LIMIT,
  afterRetryableFailure,
  copyHeaders,
  judgeDelivery,
  keptProperties,
  originOf,
  outagePauseMs,
  retryPauseMs,
} from './delivery-count';
import type { PublishOptions } from './publish-options';

/** What a handler learns about a delivery besides its validated body. */
export interface Delivery {
  readonly queue: string;
  /** Where the message was first published (a redelivered copy went straight to {@link queue}). */
  readonly exchange: string;
  readonly routingKey: string;
  /** True when this message was delivered before (to us or another consumer). */
  readonly redelivered: boolean;
  /** Which delivery of the message this is, from 1; past `maxDeliveries` it is dead-lettered instead. */
  readonly deliveries: number;
  readonly priority: number | undefined;
  readonly messageId: string | undefined;
  readonly headers: Readonly<Record<string, unknown>>;
}

/**
 * Handles one validated message. Resolving acks it. Throwing a retryable error (see
 * `isRetryableError`) gives it another delivery after a pause (`retryDelayMs`, doubling per delivery)
 * until it has had `maxDeliveries`, then dead-letters it (`REDELIVERY_LIMIT`, with the last error);
 * throwing anything else dead-letters it at once with the error as the reason. A retryable
 * `SHUTTING_DOWN` error hands the message back without counting a delivery: the consumer is going
 * away, the message did nothing wrong. Nor does a store outage (`isStoreOutageError`) count: the
 * message waits, with a pause that grows while the outage lasts, until the store answers again. Up to `prefetch` handlers of one consumer run at once.
 */
export type MessageHandler<T> = (message: T, delivery: Delivery) => Promise<void> | void;

export interface ConsumeOptions {
  /** Unacknowledged deliveries at once, hence concurrent handlers. Default 10. */
  prefetch?: number;
  /**
   * Pause before the next delivery after a retryable failure, so a failing dependency is not
   * hammered; it doubles with each delivery of the message, up to `maxRetryDelayMs`. Default 1000.
   */
  retryDelayMs?: number;
  /** Longest pause between deliveries of a failing message. Default 60,000 (below the broker's consumer timeout). */
  maxRetryDelayMs?: number;
  /** Deliveries of a message before it is dead-lettered; overrides the connection's `maxDeliveries`. */
  maxDeliveries?: number;
}

/** How a consumer stops. */
export interface CancelOptions {
  /**
   * How long to wait for running handlers. Past it the channel is closed anyway, so the broker puts
   * their deliveries back in the queue for another consumer; the handlers run on, and their
   * settlements are skipped. Default: no limit.
   */
  handlerTimeoutMs?: number;
}

/** A settlement that could not reach the broker because the delivery's channel had closed. */
export interface LostSettlement {
  readonly queue: string;
  readonly messageId: string | undefined;
  readonly outcome: Settlement;
}

/** How a delivery ends: acked; republished (as a counted copy) and acked; dead-lettered; requeued. */
export type Settlement = 'ack' | 'republish' | 'dead-letter' | 'requeue';

/** A running consumer; {@link cancel} stops it and waits for its handlers. */
export interface ConsumerHandle {
  readonly queue: string;
  cancel(options?: CancelOptions): Promise<void>;
}

export interface QueueConsumerDependencies<S extends z.ZodType> {
  readonly queue: string;
  readonly schema: S;
  readonly handler: MessageHandler<z.output<S>>;
  readonly options: ConsumeOptions;
  readonly deadLetterExchange: string;
  readonly maxDeliveries: number;
  /** Names this consumer in the dead letters it makes (connection name, host, pid). */
  readonly consumerName: string;
  readonly publish: (
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: PublishOptions,
  ) => Promise<void>;
  /** The connection's live channel model, if any: where a lost subscription is restored. */
  readonly currentModel: () => ChannelSource | undefined;
  readonly onServerCancel: (queue: string) => void;
  readonly onSettlementLost: (lost: LostSettlement) => void;
  readonly onDeadLettered: (queue: string, code: string) => void;
  readonly log: Logger;
}

/**
 * What a consumer uses of one AMQP channel — amqplib's `Channel` has it all. Narrow so the consumer's
 * decisions (what it acks, requeues, republishes, dead-letters) can be tested without a broker.
 */
export interface ConsumerChannel {
  prefetch(count: number): Promise<unknown>;
  consume(
    queue: string,
    onMessage: (message: ConsumeMessage | null) => void,
    options: { noAck: false },
  ): Promise<{ consumerTag: string }>;
  cancel(consumerTag: string): Promise<unknown>;
  ack(message: ConsumeMessage): void;
  nack(message: ConsumeMessage, allUpTo: boolean, requeue: boolean): void;
  close(): Promise<void>;
  on(event: 'error' | 'close', listener: (error?: Error) => void): unknown;
}

/** Where a consumer opens its channel: the connection's channel model (amqplib's `ChannelModel`). */
export interface ChannelSource {
  createChannel(): Promise<ConsumerChannel>;
}

interface ChannelState {
  readonly channel: ConsumerChannel;
  readonly model: ChannelSource;
  consumerTag?: string;
  closed: boolean;
}

const RESUBSCRIBE_MIN_DELAY_MS = 500;
const DEFAULT_MAX_RETRY_DELAY_MS = 60_000;
/** Pause before requeueing a message that could not be republished, so a refusing broker is not spun on. */
const REQUEUE_PAUSE_MS = 1000;
const RESUBSCRIBE_MAX_DELAY_MS = 30_000;

/**
 * One subscription to one queue, kept alive across channel and connection losses. Each consumer has
 * its own channel so a channel error (or a prefetch) in one never affects another.
 */
export class QueueConsumer<S extends z.ZodType> {
  private current: ChannelState | undefined;
  private attaching: { model: ChannelSource; promise: Promise<void> } | undefined;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private resubscribeTimer: NodeJS.Timeout | undefined;
  private resubscribeAttempt = 0;
  private stopping: Promise<void> | undefined;
  private readonly stopSignal = new AbortController();
  private readonly prefetch: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  /** When handlers began to fail with a store outage, across messages; undefined once one succeeds. */
  private outageSince: number | undefined;
  private readonly maxDeliveries: number;
  private readonly log: Logger;

  constructor(private readonly deps: QueueConsumerDependencies<S>) {
    this.prefetch = deps.options.prefetch ?? 10;
    this.retryDelayMs = deps.options.retryDelayMs ?? 1000;
    this.maxRetryDelayMs = Math.max(
      this.retryDelayMs,
      deps.options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS,
    );
    this.maxDeliveries = deps.options.maxDeliveries ?? deps.maxDeliveries;
    if (!Number.isInteger(this.maxDeliveries) || this.maxDeliveries < 1) {
      throw new RangeError(`maxDeliveries must be a whole number of at least 1, not ${this.maxDeliveries}`);
    }
    this.log = deps.log.child({ queue: deps.queue });
  }

  get queue(): string {
    return this.deps.queue;
  }

  /** Subscribes on `model` unless already subscribed (or subscribing) there. */
  attach(model: ChannelSource): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (this.current && !this.current.closed && this.current.model === model) return Promise.resolve();
    if (this.attaching?.model === model) return this.attaching.promise;
    const promise = this.subscribe(model).finally(() => {
      if (this.attaching?.promise === promise) this.attaching = undefined;
    });
    this.attaching = { model, promise };
    return promise;
  }

  /**
   * Cancels the subscription, waits for running handlers (see {@link CancelOptions}), closes the
   * channel. Idempotent: a second call returns the first one's promise.
   */
  stop(options: CancelOptions = {}): Promise<void> {
    this.stopping ??= this.doStop(options.handlerTimeoutMs);
    return this.stopping;
  }

  private async doStop(handlerTimeoutMs: number | undefined): Promise<void> {
    clearTimeout(this.resubscribeTimer);
    await this.attaching?.promise.catch(() => undefined);
    const state = this.current;
    if (state && !state.closed && state.consumerTag !== undefined) {
      // Closing the channel alone would also stop deliveries, but it would requeue the unacked ones
      // whose handlers are still running; cancel first, let them finish and ack, then close.
      await state.channel.cancel(state.consumerTag).catch(() => undefined);
    }
    this.stopSignal.abort();
    if (!(await this.idleWithin(handlerTimeoutMs))) {
      this.log.warn(
        { handlers: this.inFlight, handlerTimeoutMs },
        'handlers still running; closing the channel so their deliveries go back to the queue',
      );
    }
    if (state && !state.closed) await state.channel.close().catch(() => undefined);
  }

  private async subscribe(model: ChannelSource): Promise<void> {
    const channel = await model.createChannel();
    const state: ChannelState = { channel, model, closed: false };
    channel.on('error', (error) => this.log.warn({ err: error }, 'consumer channel closed by the broker'));
    channel.on('close', () => {
      state.closed = true;
      if (this.current === state) this.current = undefined;
      if (!this.stopping) this.scheduleResubscribe();
    });
    try {
      await channel.prefetch(this.prefetch);
      const { consumerTag } = await channel.consume(
        this.deps.queue,
        (message) => this.onDelivery(state, message),
        {
          noAck: false,
        },
      );
      state.consumerTag = consumerTag;
    } catch (error) {
      if (!state.closed) await channel.close().catch(() => undefined);
      throw error;
    }
    if (this.stopping) {
      await channel.close().catch(() => undefined);
      return;
    }
    this.current = state;
    this.resubscribeAttempt = 0;
    this.log.debug('consuming');
  }

  /**
   * Re-subscribes after the channel was lost while the connection may still be up (a channel error,
   * a server cancel). On a connection loss the connection's setup re-attaches first and this finds
   * nothing to do.
   */
  scheduleResubscribe(): void {
    if (this.stopping || this.resubscribeTimer) return;
    const base = Math.min(
      RESUBSCRIBE_MAX_DELAY_MS,
      RESUBSCRIBE_MIN_DELAY_MS * 2 ** this.resubscribeAttempt++,
    );
    const delay = base / 2 + Math.random() * (base / 2);
    this.resubscribeTimer = setTimeout(() => {
      this.resubscribeTimer = undefined;
      const model = this.deps.currentModel();
      if (!model || this.stopping) return;
      this.attach(model).catch((error: unknown) => {
        this.log.warn({ err: error }, 'cannot subscribe; will retry');
        this.scheduleResubscribe();
      });
    }, delay);
    this.resubscribeTimer.unref();
  }

  private onDelivery(state: ChannelState, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled us, e.g. the queue was deleted. Close this channel (its unacked messages
      // go back to the queue if it still exists); the close listener subscribes again with backoff.
      this.log.warn('the broker cancelled the consumer');
      this.deps.onServerCancel(this.deps.queue);
      void state.channel.close().catch(() => undefined);
      return;
    }
    this.inFlight++;
    void this.process(state, message).finally(() => {
      this.inFlight--;
      if (this.inFlight === 0) this.settleIdle();
    });
  }

  private async process(state: ChannelState, message: ConsumeMessage): Promise<void> {
    const headers = headersOf(message);
    const verdict = judgeDelivery(headers, message.fields.redelivered, this.maxDeliveries);
    const previous = verdict.action === 'handle' ? verdict.deliveries - 1 : verdict.previous;
    let body: z.output<S>;
    try {
      body = parseMessage(this.deps.schema, message.content);
    } catch (error) {
      this.log.warn({ err: error, messageId: message.properties.messageId }, 'invalid message dead-lettered');
      await this.deadLetter(state, message, error, { deliveries: previous + 1 });
      return;
    }
    if (verdict.action === 'limit') {
      const last = headers[DELIVERY_HEADERS.lastError];
      const reason =
        `delivered ${verdict.previous} times without being settled; the last delivery ended with its ` +
        `consumer gone (a crash or a lost channel)` +
        (typeof last === 'string' ? `; an earlier one failed with ${last}` : '');
      this.log.error({ messageId: message.properties.messageId, deliveries: verdict.previous }, reason);
      await this.deadLetter(state, message, reason, { code: REDELIVERY_LIMIT, deliveries: verdict.previous });
      return;
    }
    if (verdict.action === 'recount') {
      // Its consumer died or lost its channel while handling it. Count that before anyone handles it
      // again, so a message that kills its consumer every time still reaches the limit.
      this.log.warn(
        { messageId: message.properties.messageId, deliveries: verdict.previous },
        'redelivered message counted and given another delivery',
      );
      await this.republish(state, message, verdict.previous);
      return;
    }
    const { deliveries } = verdict;
    try {
      await this.deps.handler(body, this.toDelivery(message, deliveries));
      this.outageSince = undefined;
      this.settle(state, message, 'ack');
    } catch (error) {
      await this.onHandlerError(state, message, deliveries, error);
    }
  }

  private async onHandlerError(
    state: ChannelState,
    message: ConsumeMessage,
    deliveries: number,
    error: unknown,
  ): Promise<void> {
    const messageId = message.properties.messageId;
    if (isHandBack(error)) {
      this.log.info({ messageId }, 'message handed back to the queue');
      await this.republish(state, message, deliveries - 1);
    } else if (isStoreOutageError(error)) {
      // The store is away, not the message at fault: it waits, uncounted, however long the outage.
      this.outageSince ??= Date.now();
      const pauseMs = outagePauseMs(Date.now() - this.outageSince, this.retryDelayMs, this.maxRetryDelayMs);
      this.log.warn({ err: error, messageId, pauseMs }, 'a store does not answer; redelivering uncounted');
      await this.pause(pauseMs);
      await this.republish(state, message, deliveries - 1, reasonOf(error));
    } else if (!isRetryableError(error)) {
      this.log.error({ err: error, messageId }, 'handler failed; message dead-lettered');
      await this.deadLetter(state, message, error, { deliveries });
    } else if (afterRetryableFailure(deliveries, this.maxDeliveries) === 'dead-letter') {
      this.log.error(
        { err: error, messageId, deliveries },
        'handler failed with a retryable error on the last delivery allowed; message dead-lettered',
      );
      const reason = `delivered ${deliveries} times; the last delivery failed with ${reasonOf(error)}`;
      await this.deadLetter(state, message, reason, { code: REDELIVERY_LIMIT, deliveries });
    } else {
      const pauseMs = retryPauseMs(deliveries, this.retryDelayMs, this.maxRetryDelayMs);
      this.log.warn(
        { err: error, messageId, deliveries, pauseMs },
        'handler failed with a retryable error; redelivering',
      );
      await this.pause(pauseMs);
      await this.republish(state, message, deliveries, reasonOf(error));
    }
  }

  /**
   * Gives the message another delivery: publishes a copy counting `deliveries` (same body and
   * properties, straight to this queue, confirmed), then acks the original. A crash in between leaves
   * both, and the message is handled twice — at least once, like every redelivery; handlers are
   * idempotent. A copy the broker refuses falls back to a requeue, which its `redelivered` flag counts.
   */
  private async republish(
    state: ChannelState,
    message: ConsumeMessage,
    deliveries: number,
    lastError?: string,
  ): Promise<void> {
    if (state.closed) {
      this.lostSettlement(message, 'republish');
      return;
    }
    try {
      await this.deps.publish('', this.deps.queue, message.content, {
        ...keptProperties(message),
        headers: copyHeaders(headersOf(message), message.fields, deliveries, lastError),
      });
    } catch (error) {
      this.log.error({ err: error }, 'cannot republish the message; requeueing it');
      await this.pause(REQUEUE_PAUSE_MS);
      this.settle(state, message, 'requeue');
      return;
    }
    this.settle(state, message, 'ack');
  }

  /**
   * Republishes to the dead-letter exchange with the reason in headers, then acks. The broker's own
   * dead-lettering (nack without requeue) cannot carry a reason, which is the whole point here.
   */
  private async deadLetter(
    state: ChannelState,
    message: ConsumeMessage,
    reason: unknown,
    details: DeadLetterDetails,
  ): Promise<void> {
    // If the channel is gone the broker has requeued the message; its next delivery decides again.
    if (state.closed) {
      this.lostSettlement(message, 'dead-letter');
      return;
    }
    const headers = deadLetterHeaders(message, this.deps.queue, reason, {
      ...details,
      consumer: this.deps.consumerName,
    });
    try {
      await this.deps.publish(this.deps.deadLetterExchange, this.deps.queue, message.content, {
        ...keptProperties(message),
        headers,
      });
    } catch (error) {
      // Never drop it: leave it to a later delivery rather than lose a message nobody has seen.
      this.log.error({ err: error }, 'cannot dead-letter the message; requeueing it');
      await this.pause(REQUEUE_PAUSE_MS);
      this.settle(state, message, 'requeue');
      return;
    }
    this.deps.onDeadLettered(this.deps.queue, String(headers[DEAD_LETTER_HEADERS.errorCode]));
    this.settle(state, message, 'ack');
  }

  private settle(state: ChannelState, message: ConsumeMessage, outcome: 'ack' | 'requeue'): void {
    // A delivery tag belongs to its channel: once that channel is gone the broker has already
    // requeued the message, and acking on another channel would be a protocol error.
    if (state.closed) {
      this.lostSettlement(message, outcome);
      return;
    }
    try {
      if (outcome === 'ack') state.channel.ack(message);
      else state.channel.nack(message, false, true);
    } catch {
      this.lostSettlement(message, outcome);
    }
  }

  /**
   * A settlement its channel closed before: safe, because the broker requeued the delivery with the
   * channel and redelivers it (flagged `redelivered`, so it is counted), and every handler is
   * idempotent — but never silent, since each one means a message handled (or copied) once more.
   */
  private lostSettlement(message: ConsumeMessage, outcome: Settlement): void {
    const messageId = message.properties.messageId as string | undefined;
    this.log.warn(
      { messageId, outcome },
      'delivery not settled: its channel closed first; the broker redelivers it',
    );
    this.deps.onSettlementLost({ queue: this.deps.queue, messageId, outcome });
  }

  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
  }

  private toDelivery(message: ConsumeMessage, deliveries: number): Delivery {
    const headers = headersOf(message);
    const origin = originOf(headers, message.fields);
    return {
      queue: this.deps.queue,
      exchange: origin.exchange,
      routingKey: origin.routingKey,
      redelivered: deliveries > 1,
      deliveries,
      priority: typeof message.properties.priority === 'number' ? message.properties.priority : undefined,
      messageId: typeof message.properties.messageId === 'string' ? message.properties.messageId : undefined,
      headers,
    };
  }

  /** True once no handler runs; false if some still run after `timeoutMs`. */
  private async idleWithin(timeoutMs: number | undefined): Promise<boolean> {
    if (timeoutMs === undefined) {
      await this.whenIdle();
      return true;
    }
    const timer = new AbortController();
    const idle = await Promise.race([
      this.whenIdle().then(() => true),
      sleep(timeoutMs, false, { signal: timer.signal }).catch(() => false),
    ]);
    timer.abort();
    return idle;
  }

  private whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private settleIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/**
 * A handler's way to give a message back without it counting as a delivery: a retryable
 * `SHUTTING_DOWN` error (a scheduler or worker stopping, a held request handed back). Not bounded by
 * `maxDeliveries`, because the message is not at fault; only a consumer that keeps shutting down
 * without stopping could pass it around for ever.
 */
function isHandBack(error: unknown): boolean {
  return error instanceof WlmError && error.code === 'SHUTTING_DOWN' && error.retryable;
}

function headersOf(message: ConsumeMessage): Record<string, unknown> {
  const headers: unknown = message.properties.headers;
  return typeof headers === 'object' && headers !== null ? (headers as Record<string, unknown>) : {};
}

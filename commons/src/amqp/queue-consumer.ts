import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { z } from 'zod';
import { isRetryableError } from '../errors/retry';
import type { Logger } from '../logging/logger';
import { parseMessage } from '../wire/codec';
import { deadLetterHeaders } from './dead-letter';
import type { PublishOptions } from './publish-options';

/** What a handler learns about a delivery besides its validated body. */
export interface Delivery {
  readonly queue: string;
  readonly exchange: string;
  readonly routingKey: string;
  /** True when the broker delivered this message before (to us or another consumer). */
  readonly redelivered: boolean;
  readonly priority: number | undefined;
  readonly messageId: string | undefined;
  readonly headers: Readonly<Record<string, unknown>>;
}

/**
 * Handles one validated message. Resolving acks it. Throwing a retryable error (see
 * `isRetryableError`) requeues it after `retryDelayMs`; throwing anything else dead-letters it with
 * the error as the reason. Up to `prefetch` handlers of one consumer run at once.
 */
export type MessageHandler<T> = (message: T, delivery: Delivery) => Promise<void> | void;

export interface ConsumeOptions {
  /** Unacknowledged deliveries at once, hence concurrent handlers. Default 10. */
  prefetch?: number;
  /** Pause before requeueing after a retryable failure, so a failing dependency is not hammered. Default 1000. */
  retryDelayMs?: number;
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
  readonly publish: (
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: PublishOptions,
  ) => Promise<void>;
  /** The connection's live channel model, if any: where a lost subscription is restored. */
  readonly currentModel: () => ChannelModel | undefined;
  readonly onServerCancel: (queue: string) => void;
  readonly log: Logger;
}

interface ChannelState {
  readonly channel: Channel;
  readonly model: ChannelModel;
  consumerTag?: string;
  closed: boolean;
}

const RESUBSCRIBE_MIN_DELAY_MS = 500;
const RESUBSCRIBE_MAX_DELAY_MS = 30_000;

/**
 * One subscription to one queue, kept alive across channel and connection losses. Each consumer has
 * its own channel so a channel error (or a prefetch) in one never affects another.
 */
export class QueueConsumer<S extends z.ZodType> {
  private current: ChannelState | undefined;
  private attaching: { model: ChannelModel; promise: Promise<void> } | undefined;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private resubscribeTimer: NodeJS.Timeout | undefined;
  private resubscribeAttempt = 0;
  private stopping: Promise<void> | undefined;
  private readonly stopSignal = new AbortController();
  private readonly prefetch: number;
  private readonly retryDelayMs: number;
  private readonly log: Logger;

  constructor(private readonly deps: QueueConsumerDependencies<S>) {
    this.prefetch = deps.options.prefetch ?? 10;
    this.retryDelayMs = deps.options.retryDelayMs ?? 1000;
    this.log = deps.log.child({ queue: deps.queue });
  }

  get queue(): string {
    return this.deps.queue;
  }

  /** Subscribes on `model` unless already subscribed (or subscribing) there. */
  attach(model: ChannelModel): Promise<void> {
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

  private async subscribe(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    const state: ChannelState = { channel, model, closed: false };
    channel.on('error', (error: Error) =>
      this.log.warn({ err: error }, 'consumer channel closed by the broker'),
    );
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
    let body: z.output<S>;
    try {
      body = parseMessage(this.deps.schema, message.content);
    } catch (error) {
      this.log.warn({ err: error, messageId: message.properties.messageId }, 'invalid message dead-lettered');
      await this.deadLetter(state, message, error);
      return;
    }
    try {
      await this.deps.handler(body, this.toDelivery(message));
      this.settle(state, message, 'ack');
    } catch (error) {
      if (isRetryableError(error)) {
        this.log.warn({ err: error }, 'handler failed with a retryable error; requeueing');
        await this.pause();
        this.settle(state, message, 'requeue');
      } else {
        this.log.error({ err: error }, 'handler failed; message dead-lettered');
        await this.deadLetter(state, message, error);
      }
    }
  }

  /**
   * Republishes to the dead-letter exchange with the reason in headers, then acks. The broker's own
   * dead-lettering (nack without requeue) cannot carry a reason, which is the whole point here.
   */
  private async deadLetter(state: ChannelState, message: ConsumeMessage, reason: unknown): Promise<void> {
    // If the channel is gone the broker has requeued the message; its next delivery decides again.
    if (state.closed) return;
    try {
      await this.deps.publish(this.deps.deadLetterExchange, this.deps.queue, message.content, {
        headers: deadLetterHeaders(message, this.deps.queue, reason),
        ...(message.properties.priority === undefined ? {} : { priority: message.properties.priority }),
        ...(message.properties.messageId === undefined ? {} : { messageId: message.properties.messageId }),
        ...(typeof message.properties.contentType === 'string'
          ? { contentType: message.properties.contentType }
          : {}),
      });
      this.settle(state, message, 'ack');
    } catch (error) {
      // Never drop it: leave it to a later delivery rather than lose a message nobody has seen.
      this.log.error({ err: error }, 'cannot dead-letter the message; requeueing it');
      await this.pause();
      this.settle(state, message, 'requeue');
    }
  }

  private settle(state: ChannelState, message: ConsumeMessage, outcome: 'ack' | 'requeue'): void {
    // A delivery tag belongs to its channel: once that channel is gone the broker has already
    // requeued the message, and acking on another channel would be a protocol error.
    if (state.closed) return;
    try {
      if (outcome === 'ack') state.channel.ack(message);
      else state.channel.nack(message, false, true);
    } catch (error) {
      this.log.debug({ err: error }, 'channel closed before the settlement; the broker redelivers');
    }
  }

  private pause(): Promise<void> {
    return sleep(this.retryDelayMs, undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
  }

  private toDelivery(message: ConsumeMessage): Delivery {
    const headers: unknown = message.properties.headers;
    return {
      queue: this.deps.queue,
      exchange: message.fields.exchange,
      routingKey: message.fields.routingKey,
      redelivered: message.fields.redelivered,
      priority: typeof message.properties.priority === 'number' ? message.properties.priority : undefined,
      messageId: typeof message.properties.messageId === 'string' ? message.properties.messageId : undefined,
      headers: typeof headers === 'object' && headers !== null ? (headers as Record<string, unknown>) : {},
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

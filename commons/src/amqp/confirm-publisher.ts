import type { ConfirmChannel, Message, Options } from 'amqplib';
import { IllegalOperationError } from 'amqplib';
import { AmqpPublishError } from '../errors/amqp-errors';
import type { Logger } from '../logging/logger';
import { Fifo } from './fifo';

interface PublishRequest {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly options: Options.Publish;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** One confirm channel's life, captured by the callbacks of the messages published on it. */
interface ChannelState {
  readonly channel: ConfirmChannel;
  closed: boolean;
  /** Set when the broker closed the channel (as opposed to the connection going away). */
  error?: Error;
  /** How many messages whose confirms the closing channel cut off went back to the head of the line. */
  requeued: number;
  /** Unconfirmed messages when the channel closed; one alone under a broker error was its cause. */
  inFlightAtClose: number;
}

/**
 * Publishes over a confirm channel with pipelined confirms: each publish returns a promise settled by
 * its own broker confirm, and up to `maxInFlight` messages are unconfirmed at once (one publish per
 * confirm round trip would cap throughput near 1,000 msg/s, as measured). Messages not yet confirmed
 * when the channel dies are sent again on the next channel — at least once, never lost — so a
 * publish waits across reconnects instead of failing.
 */
export class ConfirmPublisher {
  private current: ChannelState | undefined;
  private readonly waiting = new Fifo<PublishRequest>();
  /** Sent and unconfirmed, in publish order. */
  private readonly inFlight = new Set<PublishRequest>();
  /** In flight and returned by the broker as unroutable; their (positive) confirm follows. */
  private readonly returned = new Set<PublishRequest>();
  private awaitingDrain = false;
  /** Messages at the head of the line still to be sent one at a time after a channel error. */
  private isolating = 0;
  private closed = false;
  private closeCause: unknown;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly log: Logger,
    private readonly maxInFlight: number,
  ) {}

  /** Messages accepted but not yet confirmed, sent or waiting. */
  get pending(): number {
    return this.waiting.length + this.inFlight.size;
  }

  /** Starts (or resumes) publishing on a fresh confirm channel. */
  attach(channel: ConfirmChannel): void {
    const state: ChannelState = { channel, closed: false, requeued: 0, inFlightAtClose: 0 };
    channel.on('error', (error: Error) => {
      state.error = error;
      this.log.warn({ err: error }, 'publisher channel closed by the broker');
    });
    // Runs before amqplib's own close listener, which fails the outstanding confirm callbacks: they
    // must already see the channel as closed to tell a lost confirm from a broker nack.
    channel.prependListener('close', () => {
      state.closed = true;
      state.inFlightAtClose = this.inFlight.size;
      if (this.current === state) {
        this.current = undefined;
        this.awaitingDrain = false;
        // The broker does not say which publish broke the channel (e.g. an unknown exchange), and
        // confirms of the messages before it are lost too; resend them one at a time so the culprit
        // fails alone and the others get through.
        this.isolating = state.error !== undefined && state.inFlightAtClose > 1 ? state.inFlightAtClose : 0;
      }
    });
    channel.on('return', (message: Message) => {
      const request = this.findReturned(message);
      if (request) this.returned.add(request);
    });
    channel.on('drain', () => {
      this.awaitingDrain = false;
      this.pump();
    });
    this.current = state;
    this.awaitingDrain = false;
    this.pump();
  }

  /**
   * Resolves when the broker has confirmed the message; rejects with {@link AmqpPublishError} when it
   * is unroutable (`options.mandatory`), nacked, or the publisher closes first.
   */
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError(exchange, routingKey));
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({
        exchange,
        routingKey,
        content,
        options,
        resolve,
        reject,
      });
      this.pump();
    });
  }

  /** Resolves once nothing is waiting or unconfirmed. */
  whenIdle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Rejects everything not yet confirmed, and every later publish, as `closed`. */
  close(cause?: unknown): void {
    if (!this.closed) {
      this.closed = true;
      this.closeCause = cause;
    }
    const abandoned = [...this.waiting.drain(), ...this.inFlight];
    this.inFlight.clear();
    for (const request of abandoned) request.reject(this.closedError(request.exchange, request.routingKey));
    this.settleIdle();
  }

  private closedError(exchange: string, routingKey: string): AmqpPublishError {
    return new AmqpPublishError(
      'closed',
      exchange,
      routingKey,
      this.closeCause === undefined ? {} : { cause: this.closeCause },
    );
  }

  private pump(): void {
    const state = this.current;
    while (
      state &&
      !state.closed &&
      !this.awaitingDrain &&
      this.inFlight.size < (this.isolating > 0 ? 1 : this.maxInFlight) &&
      this.waiting.length > 0
    ) {
      const request = this.waiting.shift() as PublishRequest;
      let writable: boolean;
      try {
        writable = state.channel.publish(
          request.exchange,
          request.routingKey,
          request.content,
          request.options,
          (error) => this.onConfirm(state, request, error),
        );
      } catch (error) {
        if (error instanceof IllegalOperationError) {
          // The channel is closing; its close listener re-queues and the next channel sends.
          this.waiting.insert(0, request);
          return;
        }
        // Unencodable (e.g. headers over 64 KiB): no channel will ever take it.
        request.reject(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      this.inFlight.add(request);
      if (!writable) {
        // The socket buffer is full; stop until the channel drains rather than buffer without bound.
        this.awaitingDrain = true;
      }
    }
  }

  /**
   * The in-flight publish a `basic.return` is about. The broker sends no delivery tag with it, so match
   * on destination and body, oldest first; identical messages to the same destination route alike, so
   * which of them is marked does not matter.
   */
  private findReturned(message: Message): PublishRequest | undefined {
    for (const request of this.inFlight) {
      if (
        !this.returned.has(request) &&
        request.exchange === message.fields.exchange &&
        request.routingKey === message.fields.routingKey &&
        request.content.equals(message.content)
      ) {
        return request;
      }
    }
    return undefined;
  }

  private onConfirm(state: ChannelState, request: PublishRequest, error: unknown): void {
    if (!this.inFlight.delete(request)) return; // already rejected by close()
    const wasReturned = this.returned.delete(request);
    if (!state.closed && this.isolating > 0) this.isolating--;
    if (error === null || error === undefined) {
      if (wasReturned)
        request.reject(new AmqpPublishError('unroutable', request.exchange, request.routingKey));
      else request.resolve();
    } else if (state.closed) {
      this.retryAfterChannelLoss(state, request);
    } else {
      request.reject(new AmqpPublishError('nacked', request.exchange, request.routingKey, { cause: error }));
    }
    this.pump();
    this.settleIdle();
  }

  private retryAfterChannelLoss(state: ChannelState, request: PublishRequest): void {
    if (state.error !== undefined && state.inFlightAtClose === 1) {
      request.reject(
        new AmqpPublishError('channel-error', request.exchange, request.routingKey, { cause: state.error }),
      );
      return;
    }
    // Callbacks of a closing channel run in publish order: keep that order ahead of newer messages.
    this.waiting.insert(state.requeued++, request);
  }

  private settleIdle(): void {
    if (this.pending > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

import { EventEmitter } from 'node:events';
import type { SerfMemberEvent, SerfStreamEvent, SerfUserEvent } from './serf-events';

/**
 * Typed events of a {@link SerfEventStream}. Each member event type and `user` carry their payload;
 * `event` carries every event whatever its type; `end` fires once when the stream is stopped or its
 * client closed for good.
 */
export interface SerfEventStreamEvents {
  'member-join': [SerfMemberEvent];
  'member-leave': [SerfMemberEvent];
  'member-failed': [SerfMemberEvent];
  'member-update': [SerfMemberEvent];
  'member-reap': [SerfMemberEvent];
  user: [SerfUserEvent];
  event: [SerfStreamEvent];
  end: [];
}

/**
 * A subscription to a Serf agent's events, created by {@link SerfRpcClient.stream}. Listen with
 * `on('member-failed', …)` or iterate with `for await (const event of stream)`; both see every event.
 *
 * The client re-subscribes after a reconnect, but events that happened while it was disconnected
 * are lost: on the client's `reconnected` event, re-read `members()` to catch up.
 */
export class SerfEventStream
  extends EventEmitter<SerfEventStreamEvents>
  implements AsyncIterable<SerfStreamEvent>
{
  private ended = false;

  /**
   * @param filter The compiled Serf filter text, e.g. `member-join,member-failed,user:deploy`.
   * @param onStop Called by {@link stop} to unsubscribe at the agent; owned by the client.
   */
  constructor(
    readonly filter: string,
    private readonly onStop: (stream: SerfEventStream) => Promise<void>,
  ) {
    super();
  }

  /** Whether the stream has ended; an ended stream delivers nothing more. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Unsubscribes at the agent and ends the stream. Idempotent. */
  async stop(): Promise<void> {
    if (this.ended) return;
    this.end();
    await this.onStop(this);
  }

  /**
   * Yields events as they arrive until the stream ends. Events arriving between two `next()` calls
   * are buffered, without bound: keep consuming, or use the listener API instead.
   */
  [Symbol.asyncIterator](): AsyncIterator<SerfStreamEvent> {
    const buffered: SerfStreamEvent[] = [];
    let waiting: ((result: IteratorResult<SerfStreamEvent>) => void) | undefined;
    const done = (): IteratorResult<SerfStreamEvent> => ({ done: true, value: undefined });
    const onEvent = (event: SerfStreamEvent): void => {
      if (waiting === undefined) {
        buffered.push(event);
        return;
      }
      const resolve = waiting;
      waiting = undefined;
      resolve({ done: false, value: event });
    };
    const onEnd = (): void => {
      detach();
      waiting?.(done());
      waiting = undefined;
    };
    const detach = (): void => {
      this.off('event', onEvent);
      this.off('end', onEnd);
    };
    if (!this.ended) {
      this.on('event', onEvent);
      this.once('end', onEnd);
    }
    return {
      next: () => {
        const event = buffered.shift();
        if (event !== undefined) return Promise.resolve({ done: false, value: event });
        if (this.ended) return Promise.resolve(done());
        return new Promise((resolve) => {
          waiting = resolve;
        });
      },
      // Breaking out of `for await` detaches this iterator only; the stream stays subscribed.
      return: () => {
        detach();
        buffered.length = 0;
        waiting?.(done());
        waiting = undefined;
        return Promise.resolve(done());
      },
    };
  }

  /** Delivers one event to listeners and iterators. Called by the client. */
  deliver(event: SerfStreamEvent): void {
    if (this.ended) return;
    this.emit('event', event);
    // Each branch narrows `event` so the emit is checked against the typed event map.
    if (event.type === 'user') this.emit('user', event);
    else this.emit(event.type, event);
  }

  /** Ends the stream locally (no RPC). Called by the client on close, and by {@link stop}. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('end');
  }
}

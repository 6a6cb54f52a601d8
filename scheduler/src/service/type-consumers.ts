import { taskRequestSchema } from '@wlm/commons/wire';
import type { AmqpConnection, ConsumerHandle, WlmTopology } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { TaskRequest } from '@wlm/commons/wire';

/** Registry events after which the set of task types some live worker runs may have changed. */
const MEMBERSHIP_EVENTS = [
  'capacity',
  'worker:joined',
  'worker:updated',
  'worker:failed',
  'worker:left',
  'worker:unreachable',
  'worker:reachable',
  'worker:recovered',
] as const;

type MembershipEvent = (typeof MEMBERSHIP_EVENTS)[number];

/**
 * What of the cluster's membership the consumers follow (the `WorkerRegistry` has it): the served
 * types, and when they may have changed.
 */
export interface ServedTypes {
  on(event: MembershipEvent, listener: () => void): unknown;
  off(event: MembershipEvent, listener: () => void): unknown;
  readonly capacity: { taskTypes(): Iterable<string> };
}

export interface TypeConsumersOptions {
  readonly amqp: Pick<AmqpConnection, 'consume'>;
  readonly topology: Pick<WlmTopology, 'requestQueue'>;
  readonly registry: ServedTypes;
  readonly logger: Logger;
  /** Requests of one type held unacknowledged at most. */
  readonly prefetch: number;
  /** Declares a type's request queue (once per process). */
  readonly declare: (taskType: string) => Promise<void>;
  /** Handles one request; its promise settles the delivery (see `RequestDispatcher`). */
  readonly handler: (request: TaskRequest) => Promise<void>;
  /**
   * Called when the type's consumer is being cancelled: hand back every request of the type held
   * unacknowledged, or the cancel waits for them for ever.
   */
  readonly release: (taskType: string) => void;
  /** How long to wait before trying again a type whose consumer could not start. Default 2,000 ms. */
  readonly retryMs?: number;
}

/** Longest a type's consumer waits for its handlers when no live worker runs the type any more. */
const STOP_HANDLER_TIMEOUT_MS = 5_000;

/**
 * Consumes the request queue of exactly the task types that a live, reachable worker runs, each
 * with its own prefetch. A type nobody runs is not consumed: its requests wait in the broker, not
 * in this process, and take none of the prefetch of the types that can run. When a type's last
 * worker goes, the consumer stops and the requests it held go back to the queue.
 */
export class TypeConsumers {
  private readonly consumers = new Map<string, ConsumerHandle>();
  /**
   * The start or stop under way for a type. Each type changes on its own: a consumer that is slow to
   * start or to stop never delays another type's.
   */
  private readonly changing = new Map<string, Promise<void>>();
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  private readonly onMembership = (): void => this.sync();

  constructor(private readonly options: TypeConsumersOptions) {
    this.log = options.logger.child({ module: 'type-consumers' });
  }

  /** The task types consumed now. */
  consumed(): string[] {
    return [...this.consumers.keys()];
  }

  /** Consumes the types served now and follows the membership from here on. */
  async start(): Promise<void> {
    for (const event of MEMBERSHIP_EVENTS) this.options.registry.on(event, this.onMembership);
    this.sync();
    await Promise.all(this.changing.values());
  }

  /**
   * Stops every consumer, calling `release` for each type; resolves when their handlers are done.
   * Idempotent.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    for (const event of MEMBERSHIP_EVENTS) this.options.registry.off(event, this.onMembership);
    await Promise.all(this.changing.values());
    await Promise.all([...this.consumers.keys()].map((taskType) => this.stopType(taskType)));
  }

  /**
   * Starts a consumer for each served type that has none and stops those of types no longer served,
   * each type independently; a type whose start or stop is under way is looked at again once it ends.
   */
  private sync(): void {
    if (this.stopped) return;
    const served = new Set(this.options.registry.capacity.taskTypes());
    const types = new Set([...served, ...this.consumers.keys()]);
    for (const taskType of types) {
      if (this.changing.has(taskType)) continue;
      const consumed = this.consumers.has(taskType);
      if (consumed === served.has(taskType)) continue;
      const change = consumed ? this.stopType(taskType).then(() => true) : this.startType(taskType);
      this.changing.set(
        taskType,
        change.then((done) => {
          this.changing.delete(taskType);
          // A start that failed waits for its retry timer rather than being tried again at once.
          if (done) this.sync();
        }),
      );
    }
  }

  /** Consumes the type's queue; false when it could not (it is tried again later). */
  private async startType(taskType: string): Promise<boolean> {
    try {
      await this.options.declare(taskType);
      const handle = await this.options.amqp.consume(
        this.options.topology.requestQueue(taskType),
        taskRequestSchema,
        (request) => this.options.handler(request),
        { prefetch: this.options.prefetch },
      );
      if (this.stopped) {
        await handle.cancel();
        return true;
      }
      this.consumers.set(taskType, handle);
      this.log.info({ taskType }, 'consuming the requests of a task type a live worker runs');
      return true;
    } catch (error) {
      this.log.warn({ err: error, taskType }, 'cannot consume the task type queue; will retry');
      this.retryLater();
      return false;
    }
  }

  private async stopType(taskType: string): Promise<void> {
    const handle = this.consumers.get(taskType);
    if (handle === undefined) return;
    this.consumers.delete(taskType);
    // Cancel first (no new deliveries), then hand back what is held: the cancel waits for those, but
    // never for long — a handler that hangs must not keep the type's consumer half-stopped. Past the
    // bound the channel closes and the broker requeues what it held.
    const cancelling = handle.cancel({ handlerTimeoutMs: STOP_HANDLER_TIMEOUT_MS });
    this.options.release(taskType);
    await cancelling;
    this.log.info({ taskType }, 'no live worker runs the task type; its requests wait in the broker');
  }

  private retryLater(): void {
    if (this.retryTimer !== undefined || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.sync();
    }, this.options.retryMs ?? 2_000);
    this.retryTimer.unref();
  }
}

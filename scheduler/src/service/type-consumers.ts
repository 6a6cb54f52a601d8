import { taskRequestSchema } from '@wlm/commons';
import type { AmqpConnection, ConsumerHandle, Logger, TaskRequest, WlmTopology } from '@wlm/commons';
import type { WorkerRegistry } from '../registry';

export interface TypeConsumersOptions {
  readonly amqp: AmqpConnection;
  readonly topology: WlmTopology;
  readonly registry: WorkerRegistry;
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

/** Registry events after which the set of task types some live worker runs may have changed. */
/** Longest a type's consumer waits for its handlers when no live worker runs the type any more. */
const STOP_HANDLER_TIMEOUT_MS = 5_000;

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

/**
 * Consumes the request queue of exactly the task types that a live, reachable worker runs, each
 * with its own prefetch. A type nobody runs is not consumed: its requests wait in the broker, not
 * in this process, and take none of the prefetch of the types that can run. When a type's last
 * worker goes, the consumer stops and the requests it held go back to the queue.
 */
export class TypeConsumers {
  private readonly consumers = new Map<string, ConsumerHandle>();
  private syncing: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  private readonly onMembership = (): void => this.schedule();

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
    this.schedule();
    await this.syncing;
  }

  /**
   * Stops every consumer, calling `release` for each type; resolves when their handlers are done.
   * Idempotent.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    for (const event of MEMBERSHIP_EVENTS) this.options.registry.off(event, this.onMembership);
    await this.syncing;
    await Promise.all([...this.consumers.keys()].map((taskType) => this.stopType(taskType)));
  }

  /** Brings the consumers in line with the served types soon; one pass at a time. */
  private schedule(): void {
    if (this.stopped) return;
    if (this.syncing !== undefined) {
      this.again = true;
      return;
    }
    this.syncing = this.loop().finally(() => {
      this.syncing = undefined;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.syncOnce();
    } while (this.again && !this.stopped);
  }

  private async syncOnce(): Promise<void> {
    const served = new Set(this.options.registry.capacity.taskTypes());
    const stopping = [...this.consumers.keys()].filter((taskType) => !served.has(taskType));
    await Promise.all(stopping.map((taskType) => this.stopType(taskType)));
    for (const taskType of served) {
      if (this.stopped) return;
      if (this.consumers.has(taskType)) continue;
      try {
        await this.startType(taskType);
      } catch (error) {
        this.log.warn({ err: error, taskType }, 'cannot consume the task type queue; will retry');
        this.retryLater();
      }
    }
  }

  private async startType(taskType: string): Promise<void> {
    await this.options.declare(taskType);
    const handle = await this.options.amqp.consume(
      this.options.topology.requestQueue(taskType),
      taskRequestSchema,
      (request) => this.options.handler(request),
      { prefetch: this.options.prefetch },
    );
    if (this.stopped) {
      await handle.cancel();
      return;
    }
    this.consumers.set(taskType, handle);
    this.log.info({ taskType }, 'consuming the requests of a task type a live worker runs');
  }

  private async stopType(taskType: string): Promise<void> {
    const handle = this.consumers.get(taskType);
    if (handle === undefined) return;
    this.consumers.delete(taskType);
    // Cancel first (no new deliveries), then hand back what is held: the cancel waits for those, but
    // never for long — a handler that hangs must not stall the membership loop and with it every
    // other type's consumer. Past the bound the channel closes and the broker requeues what it held.
    const cancelling = handle.cancel({ handlerTimeoutMs: STOP_HANDLER_TIMEOUT_MS });
    this.options.release(taskType);
    await cancelling;
    this.log.info({ taskType }, 'no live worker runs the task type; its requests wait in the broker');
  }

  private retryLater(): void {
    if (this.retryTimer !== undefined || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.schedule();
    }, this.options.retryMs ?? 2_000);
    this.retryTimer.unref();
  }
}

import type { EventEmitter } from 'node:events';
import { attemptIdentityOf, queueDeadline, taskRequestSchema } from '@wlm/commons/wire';
import type { AmqpConnection, ConsumerHandle, WlmTopology } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { TaskRequest } from '@wlm/commons/wire';
import { publishFailed, shuttingDown } from '../errors';
import { requestKey } from '../registry';
import type { SchedulerMessages } from './scheduler-messages';
import type { SchedulerServiceEvents } from './service-events';
import type { TypeWaits } from './type-waits';

export interface RequestRouterOptions {
  readonly amqp: AmqpConnection;
  readonly topology: WlmTopology;
  readonly messages: SchedulerMessages;
  readonly typeWaits: TypeWaits;
  /** Whether a live, reachable worker runs the type now. */
  readonly served: (taskType: string) => boolean;
  readonly events: EventEmitter<SchedulerServiceEvents>;
  readonly logger: Logger;
  /** Requests moved at once. */
  readonly prefetch: number;
  readonly now?: () => number;
}

/**
 * The front door: consumes the one queue every publisher sends TaskRequests to and moves each, at
 * once, to its task type's queue — where it waits durably until a scheduler that has a live worker
 * for the type takes it. Nothing is held here, so a type no worker runs can never keep requests of
 * other types (or priorities) from being taken.
 *
 * With the move go, confirmed before the request is acknowledged: the WAITING event when no live
 * worker runs the type (what the experiment view shows), the type's wait timer for the admin mail,
 * and the durable timer of a `queueTimeoutMs`. A request already past its queue timeout fails here.
 */
export class RequestRouter {
  /** Task types whose queue is declared on this connection (the broker keeps them: durable). */
  private readonly declared = new Map<string, Promise<void>>();
  private consumer: ConsumerHandle | undefined;
  private stopping = false;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly options: RequestRouterOptions) {
    this.log = options.logger.child({ module: 'router' });
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.consumer = await this.options.amqp.consume(
      this.options.topology.queues.schedulerRequests,
      taskRequestSchema,
      (request) => this.route(request),
      { prefetch: this.options.prefetch },
    );
  }

  /** Stops taking requests; resolves when the ones being moved are settled. Idempotent. */
  async drain(): Promise<void> {
    this.stopping = true;
    await this.consumer?.cancel();
  }

  /** Declares the type's request queue once per process (and on every reconnection: `declare`). */
  declare(taskType: string): Promise<void> {
    let declaring = this.declared.get(taskType);
    if (declaring === undefined) {
      declaring = this.options.amqp.declare(this.options.topology.requests(taskType));
      declaring.catch(() => this.declared.delete(taskType));
      this.declared.set(taskType, declaring);
    }
    return declaring;
  }

  private async route(request: TaskRequest): Promise<void> {
    if (this.stopping) throw shuttingDown('a request');
    const { messages, typeWaits } = this.options;
    const { taskType } = request;
    const key = requestKey(request);
    const deadline = queueDeadline(request);
    const served = this.options.served(taskType);
    try {
      if (deadline !== undefined && deadline <= this.now()) {
        await messages.unschedulable(
          { ...request, queueTimeoutMs: request.queueTimeoutMs ?? 0 },
          'it arrived after its queue timeout',
        );
        this.options.events.emit('task:unschedulable', request);
        return;
      }
      await this.declare(taskType);
      const publishes: Promise<void>[] = [messages.toTypeQueue(request)];
      if (deadline !== undefined && request.queueTimeoutMs !== undefined) {
        publishes.push(
          messages.timer({
            v: 1,
            kind: 'queue-timeout',
            dueAt: new Date(deadline).toISOString(),
            ...attemptIdentityOf(request),
            ...(request.continuation === undefined ? {} : { round: request.continuation.round }),
            taskType,
            queueTimeoutMs: request.queueTimeoutMs,
          }),
        );
      }
      if (!served) {
        // A later round keeps showing what its task said it waits for (a batch job).
        if (request.continuation === undefined) publishes.push(messages.waiting(request));
        publishes.push(typeWaits.note(taskType));
      }
      await Promise.all(publishes);
    } catch (error) {
      throw publishFailed(`moving ${key} to the queue of task type ${taskType}`, error);
    }
    this.log.debug({ key, taskType, served }, 'request moved to its task type queue');
    if (!served) this.options.events.emit('task:held', { request, reason: 'no-worker' });
  }
}

import type { EventEmitter } from 'node:events';
import { taskEventSchema, attemptKey } from '@wlm/commons/wire';
import type { AmqpConnection, ConsumerHandle, WlmTopology } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { TaskEvent, TaskEventOf, TaskRequest } from '@wlm/commons/wire';
import { publishFailed } from '../errors';
import { requestKey } from '../registry';
import type { WorkerRegistry } from '../registry';
import { hasAttemptsLeft, nextAttemptRequest, retryDelayMs, retryPolicyOf } from './retry-backoff';
import { isFromWorker } from './scheduler-messages';
import type { SchedulerMessages } from './scheduler-messages';
import type { SchedulerServiceEvents } from './service-events';

export interface TaskEventHandlerOptions {
  readonly amqp: Pick<AmqpConnection, 'consume'>;
  readonly topology: { readonly queues: Pick<WlmTopology['queues'], 'schedulerEvents'> };
  /** Frees the slots that RUNNING and terminal events settle. */
  readonly registry: Pick<WorkerRegistry, 'acknowledge'>;
  readonly messages: Pick<SchedulerMessages, 'request' | 'retriesExhausted'>;
  readonly events: EventEmitter<SchedulerServiceEvents>;
  readonly logger: Logger;
  readonly prefetch: number;
  /** Cap on a retry's backoff. */
  readonly maxBackoffMs: number;
}

/**
 * Consumes the task events the scheduler acts on: RUNNING and terminal events from workers settle
 * reservations (freeing capacity for held requests), and a retryable FAILED that carries its
 * `request` is answered with the next attempt — or, past the retry policy's `maxAttempts`, with the
 * task's final FAILED (`RETRIES_EXHAUSTED`); a DEFERRED is answered with the task's next round. Each event is acknowledged after its publish is
 * confirmed, so a crash in between retries it rather than losing it.
 */
export class TaskEventHandler {
  private consumer: ConsumerHandle | undefined;
  private readonly log: Logger;

  constructor(private readonly options: TaskEventHandlerOptions) {
    this.log = options.logger.child({ module: 'task-events' });
  }

  async start(): Promise<void> {
    this.consumer = await this.options.amqp.consume(
      this.options.topology.queues.schedulerEvents,
      taskEventSchema,
      (event) => this.onEvent(event),
      { prefetch: this.options.prefetch },
    );
  }

  /** Stops consuming and waits for running handlers. Idempotent. */
  async stop(): Promise<void> {
    await this.consumer?.cancel();
  }

  private async onEvent(event: TaskEvent): Promise<void> {
    // The scheduler's own events (CANCELLED before placement, WORKER_LOST, RETRIES_EXHAUSTED) come
    // back through this queue too; they hold no slot and must not be retried.
    if (!isFromWorker(event)) return;
    this.options.registry.acknowledge(event);
    if (event.state === 'FAILED' && event.retryable && event.request !== undefined) {
      await this.retry(event, event.request);
    } else if (event.state === 'DEFERRED') {
      await this.continueLater(event);
    }
  }

  /** A round ended with a checkpoint: its next round goes to the request queue, due at `notBefore`. */
  private async continueLater(deferred: TaskEventOf<'DEFERRED'>): Promise<void> {
    const next = deferred.request;
    const key = requestKey(next);
    try {
      await this.options.messages.request(next);
    } catch (error) {
      throw publishFailed(`the next round of ${key}`, error);
    }
    this.log.debug({ key, notBefore: next.notBefore, message: deferred.message }, 'task continues later');
    this.options.events.emit('task:continued', next);
  }

  private async retry(failed: TaskEventOf<'FAILED'>, request: TaskRequest): Promise<void> {
    const key = attemptKey(request);
    const policy = retryPolicyOf(request);
    if (!hasAttemptsLeft(request)) {
      try {
        await this.options.messages.retriesExhausted(failed, request, policy.maxAttempts);
      } catch (error) {
        throw publishFailed(`the final failure of ${key}`, error);
      }
      this.log.warn({ key, maxAttempts: policy.maxAttempts, reason: failed.reason }, 'retries exhausted');
      this.options.events.emit('task:exhausted', request);
      return;
    }
    const delayMs = retryDelayMs(policy, request.attempt, this.options.maxBackoffMs);
    const next = nextAttemptRequest(request, { failedOn: failed.workerId, delayMs, now: new Date() });
    try {
      await this.options.messages.request(next);
    } catch (error) {
      throw publishFailed(`the retry of ${key}`, error);
    }
    this.log.info(
      {
        key,
        nextAttempt: next.attempt,
        delayMs,
        excludeWorkers: next.excludeWorkers,
        errorCode: failed.errorCode,
      },
      'retrying a failed task',
    );
    this.options.events.emit('task:retried', { request: next, delayMs });
  }
}

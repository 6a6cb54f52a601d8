import {
  PROTOCOL_FAILURE_CODES,
  WIRE_TEXT_LIMITS,
  attemptIdentityOf,
  defineFailureCodes,
  failureCodeInfo,
  schedulerTimerSchema,
  taskEventRoutingKey,
  taskEventSchema,
  taskRequestSchema,
  taskTypeWaitingSchema,
} from '@wlm/commons/wire';
import type { AmqpConnection, WlmTopology } from '@wlm/commons/amqp';
import type {
  AttemptIdentity,
  SchedulerTimerInput,
  TaskAssignment,
  TaskEvent,
  TaskEventInput,
  TaskEventOf,
  TaskRequest,
  TaskTypeWaiting,
} from '@wlm/commons/wire';
import { timerDelay } from './timer-ladder';

/** `errorCode`s of FAILED events the scheduler itself publishes: its part of the failure-code registry. */
export const SCHEDULER_FAILURE_CODES = defineFailureCodes('scheduler', {
  retriesExhausted: {
    code: 'RETRIES_EXHAUSTED',
    retryable: false,
    meaning: 'the task failed retryably on its last allowed attempt',
  },
  workerLost: {
    code: 'WORKER_LOST',
    retryable: true,
    meaning: 'the attempt was queued or running on a worker that failed; the next attempt runs elsewhere',
  },
});

/** What the scheduler says of a task while no live worker runs its type. */
export function waitingForWorker(taskType: string): string {
  return `waiting for a worker that runs ${taskType}`;
}

/**
 * True for an event a worker published, as opposed to one of the scheduler's own (which come back
 * through the same queue and must neither free capacity nor be retried).
 */
export function isFromWorker(event: TaskEvent): boolean {
  if (event.state === 'WAITING' || event.workerId === undefined) return false;
  if (event.state !== 'FAILED' || event.errorCode === undefined) return true;
  return failureCodeInfo(event.errorCode)?.owner !== 'scheduler';
}

function truncate(text: string): string {
  return text.length > WIRE_TEXT_LIMITS.reasonChars
    ? `${text.slice(0, WIRE_TEXT_LIMITS.reasonChars - 1)}…`
    : text;
}

/** The messages the scheduler publishes besides assignments, each resolving on the broker's confirm. */
export class SchedulerMessages {
  constructor(
    private readonly amqp: AmqpConnection,
    private readonly topology: WlmTopology,
  ) {}

  /** A request back onto the requests queue (a retry, or work moved off a lost worker). */
  request(request: TaskRequest): Promise<void> {
    return this.amqp.publishMessage('', this.topology.queues.schedulerRequests, taskRequestSchema, request, {
      priority: request.priority,
    });
  }

  /** A request into its task type's queue, where it waits durably until placed. */
  toTypeQueue(request: TaskRequest): Promise<void> {
    return this.amqp.publishMessage(
      '',
      this.topology.requestQueue(request.taskType),
      taskRequestSchema,
      request,
      {
        priority: request.priority,
      },
    );
  }

  /** The request waits for a worker that runs its type (for the experiment view; changes no state). */
  waiting(request: TaskRequest): Promise<void> {
    return this.event({
      v: 1,
      state: 'WAITING',
      ...attemptIdentityOf(request),
      at: new Date().toISOString(),
      taskType: request.taskType,
      message: waitingForWorker(request.taskType),
    });
  }

  /**
   * The task's final failure: the attempt was not placed within its `queueTimeoutMs`. Not
   * retryable — another attempt would wait for the same workers.
   */
  unschedulable(
    attempt: AttemptIdentity & { taskType: string; queueTimeoutMs: number },
    why: string,
  ): Promise<void> {
    return this.event({
      v: 1,
      state: 'FAILED',
      ...attemptIdentityOf(attempt),
      at: new Date().toISOString(),
      retryable: false,
      errorCode: PROTOCOL_FAILURE_CODES.unschedulable,
      reason: truncate(
        `not placed within its queue timeout of ${attempt.queueTimeoutMs} ms (task type ${attempt.taskType}): ${why}`,
      ),
    });
  }

  /**
   * A timer into the delay queue that brings it back closest to its `dueAt` without overshooting
   * (or after the shortest delay); the timer handler sends it on again until it is due.
   */
  timer(timer: SchedulerTimerInput, now = Date.now()): Promise<void> {
    const delayMs = timerDelay(Date.parse(timer.dueAt) - now);
    return this.amqp.publishMessage('', this.topology.delayQueue(delayMs), schedulerTimerSchema, timer);
  }

  /** Reports a task type that has waited too long for a worker, for the one instance that mails. */
  typeWaiting(report: TaskTypeWaiting): Promise<void> {
    return this.amqp.publishMessage(
      '',
      this.topology.queues.schedulerTypeAlerts,
      taskTypeWaitingSchema,
      report,
    );
  }

  /** A held request was cancelled before it reached any worker. */
  cancelled(request: TaskRequest, reason: string): Promise<void> {
    return this.event({
      v: 1,
      state: 'CANCELLED',
      ...attemptIdentityOf(request),
      at: new Date().toISOString(),
      reason: truncate(reason),
    });
  }

  /**
   * The attempt of `assignment` was lost with its worker. Retryable, and without `request`: the
   * scheduler has already published the next attempt, so nobody may retry this one again.
   */
  workerLost(assignment: TaskAssignment, nextAttempt: number): Promise<void> {
    return this.event({
      v: 1,
      state: 'FAILED',
      ...attemptIdentityOf(assignment),
      at: new Date().toISOString(),
      workerId: assignment.workerId,
      retryable: true,
      errorCode: SCHEDULER_FAILURE_CODES.workerLost,
      reason: `worker ${assignment.workerId} was lost before the task finished; it runs again as attempt ${nextAttempt} on another worker`,
    });
  }

  /** The task's final failure: its last allowed attempt failed retryably. */
  retriesExhausted(failed: TaskEventOf<'FAILED'>, request: TaskRequest, maxAttempts: number): Promise<void> {
    const where = failed.workerId === undefined ? '' : ` on worker ${failed.workerId}`;
    const code = failed.errorCode === undefined ? '' : ` [${failed.errorCode}]`;
    return this.event({
      v: 1,
      state: 'FAILED',
      ...attemptIdentityOf(request),
      at: new Date().toISOString(),
      ...(failed.workerId === undefined ? {} : { workerId: failed.workerId }),
      retryable: false,
      errorCode: SCHEDULER_FAILURE_CODES.retriesExhausted,
      reason: truncate(
        `retries exhausted after ${request.attempt} of ${maxAttempts} attempts; last failure${where}${code}: ${failed.reason}`,
      ),
    });
  }

  private event(event: TaskEventInput): Promise<void> {
    return this.amqp.publishMessage(
      this.topology.exchanges.events,
      taskEventRoutingKey(event),
      taskEventSchema,
      event,
    );
  }
}

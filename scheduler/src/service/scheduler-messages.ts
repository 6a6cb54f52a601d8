import { taskEventRoutingKey, taskEventSchema, taskRequestSchema, attemptIdentityOf } from '@wlm/commons';
import type {
  AmqpConnection,
  TaskAssignment,
  TaskEvent,
  TaskEventInput,
  TaskEventOf,
  TaskRequest,
  WlmTopology,
} from '@wlm/commons';

/** `errorCode`s of FAILED events the scheduler itself publishes. */
export const SCHEDULER_FAILURE_CODES = {
  /** The task failed retryably on its last allowed attempt. */
  retriesExhausted: 'RETRIES_EXHAUSTED',
  /** The attempt was queued or running on a worker that failed; the next attempt runs elsewhere. */
  workerLost: 'WORKER_LOST',
} as const;

const SCHEDULER_CODES: ReadonlySet<string> = new Set(Object.values(SCHEDULER_FAILURE_CODES));

/** The wire schema's bound on a FAILED reason. */
const MAX_REASON_LENGTH = 8192;

/**
 * True for an event a worker published, as opposed to one of the scheduler's own (which come back
 * through the same queue and must neither free capacity nor be retried).
 */
export function isFromWorker(event: TaskEvent): boolean {
  if (event.workerId === undefined) return false;
  return !(event.state === 'FAILED' && event.errorCode !== undefined && SCHEDULER_CODES.has(event.errorCode));
}

function truncate(text: string): string {
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH - 1)}…` : text;
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

import {
  MAX_ERROR_CODE_LENGTH,
  WIRE_TEXT_LIMITS,
  attemptIdentityOf,
  taskRequestSchema,
} from '@wlm/commons/wire';
import type { JsonValue, TaskAssignment, TaskEventOf, TaskRequest } from '@wlm/commons/wire';
import { clip } from '../execution/error-message';
import type { TaskProgress } from '../execution';

/**
 * The TaskEvents a worker publishes about one assignment. Pure functions of the assignment, so the
 * handler reads as the sequence RUNNING → PROGRESS* → one terminal event.
 */

/** Wire limits of the event fields (commons/src/wire/task-event.ts). */

function base(assignment: TaskAssignment) {
  return {
    v: 1 as const,
    ...attemptIdentityOf(assignment),
    at: new Date().toISOString(),
  };
}

/** RUNNING, dated when the run started (it may go out a little later: `RunningReport`). */
export function runningEvent(
  assignment: TaskAssignment,
  workerId: string,
  startedAt: string,
): TaskEventOf<'RUNNING'> {
  return { ...base(assignment), at: startedAt, state: 'RUNNING', workerId };
}

export function progressEvent(
  assignment: TaskAssignment,
  workerId: string,
  progress: TaskProgress,
): TaskEventOf<'PROGRESS'> {
  return {
    ...base(assignment),
    state: 'PROGRESS',
    workerId,
    // The schema wants a message or a percent; a plugin may report an empty message with a percent.
    ...(progress.message === '' && progress.percent !== undefined
      ? {}
      : {
          message: clip(
            progress.message === '' ? '(progress)' : progress.message,
            WIRE_TEXT_LIMITS.messageChars,
          ),
        }),
    ...(progress.percent === undefined ? {} : { percent: progress.percent }),
  };
}

export function completedEvent(
  assignment: TaskAssignment,
  workerId: string,
  outputs: JsonValue,
): TaskEventOf<'COMPLETED'> {
  return { ...base(assignment), state: 'COMPLETED', workerId, outputs };
}

export interface FailureFields {
  reason: string;
  retryable: boolean;
  errorCode: string;
}

/**
 * A FAILED event. A retryable one carries the request to retry ({@link retryRequestOf}), so whichever
 * scheduler instance consumes it can place the next attempt without state of its own.
 */
export function failedEvent(
  assignment: TaskAssignment,
  workerId: string,
  failure: FailureFields,
): TaskEventOf<'FAILED'> {
  return {
    ...base(assignment),
    state: 'FAILED',
    workerId,
    reason: clip(failure.reason === '' ? 'failed' : failure.reason, WIRE_TEXT_LIMITS.reasonChars),
    retryable: failure.retryable,
    errorCode: clip(failure.errorCode, MAX_ERROR_CODE_LENGTH),
    ...(failure.retryable ? { request: retryRequestOf(assignment) } : {}),
  };
}

export interface ContinuationFields {
  checkpoint: JsonValue;
  delayMs: number;
  message: string;
}

/**
 * A DEFERRED event: this round ended with a checkpoint, and `request` is the next round, due after
 * the plugin's delay. The same attempt, the retry history kept; a round goes to any capable worker.
 */
export function deferredEvent(
  assignment: TaskAssignment,
  workerId: string,
  continuation: ContinuationFields,
): TaskEventOf<'DEFERRED'> {
  const event = base(assignment);
  const request = taskRequestSchema.parse(assignment);
  return {
    ...event,
    state: 'DEFERRED',
    workerId,
    message: clip(continuation.message, WIRE_TEXT_LIMITS.messageChars),
    request: {
      ...request,
      notBefore: new Date(Date.parse(event.at) + continuation.delayMs).toISOString(),
      continuation: { round: (request.continuation?.round ?? 1) + 1, checkpoint: continuation.checkpoint },
    },
  };
}

export function cancelledEvent(
  assignment: TaskAssignment,
  workerId: string,
  reason: string,
): TaskEventOf<'CANCELLED'> {
  return {
    ...base(assignment),
    state: 'CANCELLED',
    workerId,
    reason: clip(reason, WIRE_TEXT_LIMITS.reasonChars),
  };
}

/**
 * The request of the failed attempt: the assignment without its placement fields (`assignmentId`,
 * `workerId`, `assignedAt`), otherwise unchanged — the same `attempt` and the same `excludeWorkers`.
 * Where it failed travels as the event's `workerId`; the scheduler alone decides what the next
 * attempt avoids (`nextAttemptRequest`), as it does for an attempt lost with its worker.
 */
export function retryRequestOf(assignment: TaskAssignment): TaskRequest {
  // Parsing with the request schema (not strict) drops the placement fields and re-checks the rest.
  return taskRequestSchema.parse(assignment);
}

import { z } from 'zod';
import { attemptIdentityShape } from './attempt-identity';
import { WIRE_TEXT_LIMITS, jsonValueSchema, taskTypeSchema, timestampSchema, workerIdSchema } from './fields';
import { MAX_ERROR_CODE_LENGTH } from './failure-codes';
import { wireRegistry } from './registry';
import { taskLogTailSchema } from './task-log-tail';
import { taskRequestSchema } from './task-request';

const eventBase = {
  v: z.literal(1),
  ...attemptIdentityShape,
  /** When the publisher observed the change. */
  at: timestampSchema,
};

/**
 * Worker: the attempt's log so far, at most `TASK_LOG_TAIL` (the whole tail each time, not what is
 * new since the last event, so a redelivered or reordered event never duplicates or loses lines).
 */
const logTail = { logTail: taskLogTailSchema.optional() };

/**
 * Worker, on the event that ends a run: when the run started, set when the worker sent no RUNNING
 * for it — a run that ends within the worker's `runningReportDelayMs` reports its start here
 * instead, so a short task costs one event rather than two. Absent when a RUNNING went out.
 */
const unreportedStart = { startedAt: timestampSchema.optional() };

/** Scheduler: the task was placed on `workerId`'s queue (the task state QUEUED). */
export const taskQueuedEventSchema = z.object({
  ...eventBase,
  state: z.literal('QUEUED'),
  workerId: workerIdSchema,
  assignmentId: z.string().min(1).max(128),
});

/** Worker: the run started. */
export const taskRunningEventSchema = z.object({
  ...eventBase,
  state: z.literal('RUNNING'),
  workerId: workerIdSchema,
});

/** Worker: the run reports progress; at least one of `message` and `percent`. */
export const taskProgressEventSchema = z
  .object({
    ...eventBase,
    ...logTail,
    state: z.literal('PROGRESS'),
    workerId: workerIdSchema,
    message: z.string().max(WIRE_TEXT_LIMITS.messageChars).optional(),
    percent: z.number().min(0).max(100).optional(),
  })
  .refine((event) => event.message !== undefined || event.percent !== undefined, {
    message: 'a PROGRESS event needs a message or a percent',
    path: ['message'],
  });

/** Worker: the run succeeded with these outputs. */
export const taskCompletedEventSchema = z.object({
  ...eventBase,
  ...logTail,
  ...unreportedStart,
  state: z.literal('COMPLETED'),
  workerId: workerIdSchema,
  outputs: jsonValueSchema,
});

/**
 * A run failed. From a worker, `retryable` says whether another attempt may succeed; the scheduler
 * then retries or, when attempts are exhausted, publishes a final FAILED with `retryable: false` and
 * `errorCode: 'RETRIES_EXHAUSTED'`. Consumers treat `retryable: false` as the task's final failure.
 * `workerId` is absent when the scheduler fails a task that never reached a worker.
 */
export const taskFailedEventSchema = z.object({
  ...eventBase,
  ...logTail,
  ...unreportedStart,
  state: z.literal('FAILED'),
  workerId: workerIdSchema.optional(),
  reason: z.string().min(1).max(WIRE_TEXT_LIMITS.reasonChars),
  retryable: z.boolean(),
  /**
   * A stable code to decide on; never parse `reason`. One of the registered codes of wlm's own
   * components (`failure-codes.ts`), or the code of a plugin's `TaskFailure`.
   */
  errorCode: z.string().min(1).max(MAX_ERROR_CODE_LENGTH).optional(),
  /**
   * A worker's retryable failure carries the request of the failed attempt, so whichever scheduler
   * instance consumes the event can place the next attempt without having kept any state.
   */
  request: taskRequestSchema.optional(),
});

/**
 * Worker: the round ended with a checkpoint and the task goes on later (a plugin waiting on a batch
 * job). `request` is the next round, due at its `notBefore`; the scheduler places it, so nobody
 * holds a delivery while the task waits. Not terminal for the task, only for this assignment.
 */
export const taskDeferredEventSchema = z.object({
  ...eventBase,
  ...logTail,
  ...unreportedStart,
  state: z.literal('DEFERRED'),
  workerId: workerIdSchema,
  /** What the task waits for, for people: e.g. `SLURM job 42 is PENDING (Priority)`. */
  message: z.string().min(1).max(WIRE_TEXT_LIMITS.messageChars),
  request: taskRequestSchema.refine((request) => request.continuation !== undefined, {
    message: 'the next round of a deferred task carries its continuation',
    path: ['continuation'],
  }),
});

/**
 * Scheduler: the attempt cannot be placed yet and why — `waiting for a worker that runs gpu-sim`
 * while no live worker advertises its type. Once per request it routes that way; changes no state.
 */
export const taskWaitingEventSchema = z.object({
  ...eventBase,
  state: z.literal('WAITING'),
  taskType: taskTypeSchema,
  /** What the task waits for, for people. */
  message: z.string().min(1).max(WIRE_TEXT_LIMITS.messageChars),
});

/** A run was stopped by a cancel; `workerId` is absent when it was cancelled before reaching a worker. */
export const taskCancelledEventSchema = z.object({
  ...eventBase,
  ...logTail,
  ...unreportedStart,
  state: z.literal('CANCELLED'),
  workerId: workerIdSchema.optional(),
  reason: z.string().max(WIRE_TEXT_LIMITS.reasonChars).optional(),
});

/**
 * Worker or scheduler → the events exchange (routing key {@link taskEventRoutingKey}). The
 * orchestrator and the scheduler each consume every terminal event; at least once, so consumers are
 * idempotent on the attempt's identity and `state`.
 */
export const taskEventSchema = z
  .discriminatedUnion('state', [
    taskQueuedEventSchema,
    taskRunningEventSchema,
    taskProgressEventSchema,
    taskDeferredEventSchema,
    taskWaitingEventSchema,
    taskCompletedEventSchema,
    taskFailedEventSchema,
    taskCancelledEventSchema,
  ])
  .register(wireRegistry, { messageType: 'TaskEvent' });

export type TaskEvent = z.infer<typeof taskEventSchema>;
export type TaskEventInput = z.input<typeof taskEventSchema>;
export type TaskEventState = TaskEvent['state'];
/** The event of one state, e.g. `TaskEventOf<'FAILED'>`. */
export type TaskEventOf<S extends TaskEventState> = Extract<TaskEvent, { state: S }>;

/** States after which no further event of the same attempt follows. */
export const TERMINAL_TASK_EVENT_STATES: ReadonlySet<TaskEventState> = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
]);

/**
 * When the run an event is about started, as far as the event says: a RUNNING's `at`, or the
 * `startedAt` of the event that ended a run too short to send a RUNNING. Undefined otherwise.
 */
export function runStartOf(event: TaskEvent): string | undefined {
  if (event.state === 'RUNNING') return event.at;
  return 'startedAt' in event ? event.startedAt : undefined;
}

/** `task.<state>` in lower case, e.g. `task.completed`, so consumers can bind to the states they need. */
export function taskEventRoutingKey(event: Pick<TaskEvent, 'state'>): string {
  return `task.${event.state.toLowerCase()}`;
}

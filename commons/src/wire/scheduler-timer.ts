import { z } from 'zod';
import { attemptIdentityShape } from './attempt-identity';
import { taskTypeSchema, timestampSchema } from './fields';
import { wireRegistry } from './registry';

/**
 * A request's `queueTimeoutMs` runs out at `dueAt`: unless the attempt was placed by then, it fails
 * with `TASK_UNSCHEDULABLE`.
 */
const queueTimeoutTimerSchema = z.object({
  v: z.literal(1),
  kind: z.literal('queue-timeout'),
  dueAt: timestampSchema,
  ...attemptIdentityShape,
  /** The round of a task that runs in rounds (2 and up); absent for the first. */
  round: z.int().min(2).max(1_000_000).optional(),
  taskType: taskTypeSchema,
  queueTimeoutMs: z.int().min(1),
});

/** Requests of `taskType` have waited since `since` with no live worker that runs it; check again at `dueAt`. */
const typeWaitTimerSchema = z.object({
  v: z.literal(1),
  kind: z.literal('type-wait'),
  dueAt: timestampSchema,
  taskType: taskTypeSchema,
  since: timestampSchema,
});

/**
 * Scheduler → itself, through the broker's delay queues: something to check at `dueAt`. Durable, so
 * a deadline outlives every scheduler instance, and it needs no consumer of the task type's queue.
 */
export const schedulerTimerSchema = z
  .discriminatedUnion('kind', [queueTimeoutTimerSchema, typeWaitTimerSchema])
  .register(wireRegistry, { messageType: 'SchedulerTimer' });

/**
 * Scheduler → the single active consumer of the type-alerts queue: requests of a task type have
 * waited longer than the configured time with no live worker that runs it. Mailed once per type.
 */
export const taskTypeWaitingSchema = z
  .object({
    v: z.literal(1),
    taskType: taskTypeSchema,
    /** When the reporting instance first saw a request of the type it could not hand to any worker. */
    waitingSince: timestampSchema,
    detectedAt: timestampSchema,
    /** The reporting scheduler instance. */
    reporter: z.string().min(1).max(128),
  })
  .register(wireRegistry, { messageType: 'TaskTypeWaiting' });

export type SchedulerTimer = z.infer<typeof schedulerTimerSchema>;
export type SchedulerTimerInput = z.input<typeof schedulerTimerSchema>;
export type TaskTypeWaiting = z.infer<typeof taskTypeWaitingSchema>;

import { z } from 'zod';
import { attemptIdentityShape } from './attempt-identity';
import {
  jsonValueSchema,
  prioritySchema,
  semverSchema,
  taskTypeSchema,
  timestampSchema,
  workerIdSchema,
} from './fields';
import { wireRegistry } from './registry';

/** Where a task may run: every label must match the worker's labels exactly. */
export const taskConstraintsSchema = z.object({
  labels: z.record(z.string().min(1).max(64), z.string().max(256)).default({}),
  /** The worker's plugin for the task type must be at least this version. */
  minPluginVersion: semverSchema.optional(),
});

/** How the scheduler retries a task whose run failed with a retryable error. */
export const retryPolicySchema = z.object({
  /** Runs in all, the first included. */
  maxAttempts: z.int().min(1).max(100),
  /** Delay before the second attempt; later attempts back off exponentially from it. */
  backoffMs: z.int().min(0).max(86_400_000),
});

/**
 * The policy of a request without `retry`: three runs in all, the second one second after the
 * first failure, the third two seconds after the second.
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({ maxAttempts: 3, backoffMs: 1000 });

/**
 * A task that runs in rounds: a plugin that waits on something outside (a batch job) ends a round
 * with a checkpoint instead of holding its delivery for hours, and the next round starts from it.
 */
export const continuationSchema = z.object({
  /** 2 for the round after the first, and so on; part of the request's identity. */
  round: z.int().min(2).max(1_000_000),
  /** What the previous round saved, handed to the plugin as `ctx.checkpoint`. */
  checkpoint: jsonValueSchema,
});

/**
 * The fields of a task that the orchestrator hands to the scheduler. Kept as a plain object shape so
 * {@link taskAssignmentSchema} extends it rather than repeating it.
 */
export const taskRequestShape = {
  v: z.literal(1),
  ...attemptIdentityShape,
  taskType: taskTypeSchema,
  /** The task's resolved params and inputs, validated again by the plugin's own input schema. */
  context: jsonValueSchema,
  priority: prioritySchema,
  constraints: taskConstraintsSchema.optional(),
  retry: retryPolicySchema.optional(),
  /** The worker aborts a run that takes longer. */
  timeoutMs: z
    .int()
    .min(1)
    .max(7 * 86_400_000)
    .optional(),
  requestedAt: timestampSchema,
  /**
   * Workers that must not run this attempt: a retry names the workers whose runs failed, so the
   * scheduler places it elsewhere while another capable worker exists.
   */
  excludeWorkers: z.array(workerIdSchema).max(100).optional(),
  /** A retry's backoff: the scheduler holds the request until then. */
  notBefore: timestampSchema.optional(),
  /** Set on every round after the first of a task that runs in rounds. */
  continuation: continuationSchema.optional(),
};

/**
 * Orchestrator → scheduler (request queue, AMQP priority = `priority`): a DAG node is ready to run.
 * Consumers are idempotent on its attempt's identity (see `attempt-identity.ts`) and `continuation.round`.
 */
export const taskRequestSchema = z
  .object(taskRequestShape)
  .register(wireRegistry, { messageType: 'TaskRequest' });

export type TaskRequest = z.infer<typeof taskRequestSchema>;
/** What a sender may pass: defaults (e.g. empty constraint labels) not yet filled in. */
export type TaskRequestInput = z.input<typeof taskRequestSchema>;
export type TaskConstraints = z.infer<typeof taskConstraintsSchema>;
export type RetryPolicy = z.infer<typeof retryPolicySchema>;
export type Continuation = z.infer<typeof continuationSchema>;

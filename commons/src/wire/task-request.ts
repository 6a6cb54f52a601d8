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

/** The longest constraint label name, and value, in characters. */
export const MAX_LABEL_KEY_LENGTH = 64;
export const MAX_LABEL_VALUE_LENGTH = 256;
/** Runs in all a retry policy may allow. */
export const MAX_RETRY_ATTEMPTS = 100;
/** The longest retry backoff: one day. */
export const MAX_RETRY_BACKOFF_MS = 86_400_000;
/** The longest task timeout: one week. */
export const MAX_TASK_TIMEOUT_MS = 7 * 86_400_000;
/** The most workers a request may exclude; the scheduler drops the oldest exclusions past it. */
export const MAX_EXCLUDED_WORKERS = 100;

/**
 * The most bytes a request's `context` (the task's rendered params) may take as UTF-8 JSON. Every
 * message that carries a request (an assignment, a retryable failure, a deferred round) then stays
 * far below the broker's message size limit (RabbitMQ's `max_message_size`: 128 MiB in 3.x, 16 MiB
 * in 4.x), and a scheduler holding its prefetch of requests holds a bounded amount of memory. Any
 * definition the REST API accepts (2 MB a body) and any experiment's inputs (1 MB) fit in it.
 */
export const MAX_CONTEXT_BYTES = 4 * 1024 * 1024;

/**
 * The size {@link MAX_CONTEXT_BYTES} bounds: `value` as UTF-8 JSON, as the codec encodes it; `undefined`
 * when it is not JSON at all (a cycle, a BigInt), which the schema reports on its own.
 */
export function jsonByteLength(value: unknown): number | undefined {
  try {
    const text: unknown = JSON.stringify(value);
    return typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** A request's context: any JSON value of at most {@link MAX_CONTEXT_BYTES}. */
const contextSchema = jsonValueSchema.superRefine((value, ctx) => {
  const bytes = jsonByteLength(value);
  if (bytes !== undefined && bytes > MAX_CONTEXT_BYTES) {
    ctx.addIssue({ code: 'custom', message: `${bytes} bytes as JSON, more than ${MAX_CONTEXT_BYTES}` });
  }
});

/** Where a task may run: every label must match the worker's labels exactly. */
export const taskConstraintsSchema = z.object({
  labels: z
    .record(z.string().min(1).max(MAX_LABEL_KEY_LENGTH), z.string().max(MAX_LABEL_VALUE_LENGTH))
    .default({}),
  /** The worker's plugin for the task type must be at least this version. */
  minPluginVersion: semverSchema.optional(),
});

/** How the scheduler retries a task whose run failed with a retryable error. */
export const retryPolicySchema = z.object({
  /** Runs in all, the first included. */
  maxAttempts: z.int().min(1).max(MAX_RETRY_ATTEMPTS),
  /** Delay before the second attempt; later attempts back off exponentially from it. */
  backoffMs: z.int().min(0).max(MAX_RETRY_BACKOFF_MS),
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
  context: contextSchema,
  priority: prioritySchema,
  constraints: taskConstraintsSchema.optional(),
  retry: retryPolicySchema.optional(),
  /** The worker aborts a run that takes longer. */
  timeoutMs: z.int().min(1).max(MAX_TASK_TIMEOUT_MS).optional(),
  requestedAt: timestampSchema,
  /**
   * How long this attempt may wait unplaced — from `requestedAt`, or from `notBefore` when later —
   * before it fails for good with `TASK_UNSCHEDULABLE` (e.g. no live worker runs its type).
   */
  queueTimeoutMs: z
    .int()
    .min(1)
    .max(7 * 86_400_000)
    .optional(),
  /**
   * Workers that must not run this attempt: the scheduler, and only it, adds the worker an attempt
   * failed on (or was lost with) to the next attempt's list, and places it elsewhere while another
   * capable worker exists.
   */
  excludeWorkers: z.array(workerIdSchema).max(MAX_EXCLUDED_WORKERS).optional(),
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

/**
 * When the request's `queueTimeoutMs` runs out (ms since the epoch), or undefined without one. The
 * wait starts at `requestedAt`, or at `notBefore` for a retry whose backoff ends later.
 */
export function queueDeadline(
  request: Pick<TaskRequest, 'queueTimeoutMs' | 'requestedAt' | 'notBefore'>,
): number | undefined {
  if (request.queueTimeoutMs === undefined) return undefined;
  const start = Math.max(
    Date.parse(request.requestedAt),
    request.notBefore === undefined ? 0 : Date.parse(request.notBefore),
  );
  return start + request.queueTimeoutMs;
}

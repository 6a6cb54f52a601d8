import { z } from 'zod';
import { computeResourcesSchema } from '@wlm/commons/plugin-host';
import { MAX_ERROR_CODE_LENGTH, WIRE_TEXT_LIMITS } from '@wlm/commons/wire';

/**
 * The protocol between a worker and its task processes. Both ends are this package at the same
 * version, so messages carry no `v`; both ends still validate what they receive, since the other
 * end runs plugin code that may have corrupted its state.
 */

/** The limits of the TaskEvent fields these values end up in; the child clips to them. */
export const IPC_LIMITS = {
  reasonChars: WIRE_TEXT_LIMITS.reasonChars,
  codeChars: MAX_ERROR_CODE_LENGTH,
  progressChars: WIRE_TEXT_LIMITS.messageChars,
} as const;

/** Where the child looks for a plugin module named by package rather than by path. */
const resolvePathsSchema = z.array(z.string().min(1));

/** Parent → child: load a plugin module and describe it (used by the plugin loader). */
export const probeMessageSchema = z.object({
  type: z.literal('probe'),
  specifier: z.string().min(1),
  resolvePaths: resolvePathsSchema,
});

/**
 * What a task sees of its worker's config, handed to the task process with every task and given to
 * the plugin in its context: the compute resources (`resources`) and the directories of the
 * worker's own disk tasks may use (`staging.localRoots`). Nothing else of the worker's settings —
 * broker, database, tokens — ever reaches a task process.
 */
export const taskSettingsSchema = z.strictObject({
  resources: computeResourcesSchema,
  localRoots: z.array(z.string().startsWith('/')),
});

/** The settings of tasks whose worker was given none: no compute resource, no local directory. */
export const NO_TASK_SETTINGS: TaskSettings = { resources: {}, localRoots: [] };

/**
 * Parent → child: run one task (one round of it), or — `purpose: 'cancel'` — call the plugin's
 * `cancel` for a task cancelled between rounds. The child runs one task at a time.
 */
export const startMessageSchema = z.object({
  type: z.literal('start'),
  purpose: z.enum(['run', 'cancel']),
  /** Absolute path of the plugin module, as resolved by a probe. */
  modulePath: z.string().min(1),
  taskType: z.string().min(1),
  params: z.unknown(),
  experimentId: z.string().min(1),
  taskId: z.string().min(1),
  attempt: z.int().min(1),
  run: z.int().min(1),
  /** The previous round's checkpoint, on every round after the first. */
  checkpoint: z.json().optional(),
  workDir: z.string().min(1).optional(),
  logLevel: z.string().min(1),
  settings: taskSettingsSchema,
});

/** Parent → child: abort the running task's signal (cancel or timeout); `reason` becomes its reason. */
export const cancelMessageSchema = z.object({
  type: z.literal('cancel'),
  kind: z.enum(['cancel', 'timeout', 'shutdown']),
  reason: z.string(),
});

export const parentMessageSchema = z.discriminatedUnion('type', [
  probeMessageSchema,
  startMessageSchema,
  cancelMessageSchema,
]);

/** Child → parent: what a probe found. */
export const probeResultMessageSchema = z.discriminatedUnion('ok', [
  z.object({
    type: z.literal('probe-result'),
    ok: z.literal(true),
    modulePath: z.string().min(1),
    name: z.string().min(1),
    version: z.string().min(1),
    description: z.string(),
  }),
  z.object({ type: z.literal('probe-result'), ok: z.literal(false), reason: z.string().min(1) }),
]);

export const progressMessageSchema = z.object({
  type: z.literal('progress'),
  message: z.string().max(IPC_LIMITS.progressChars),
  percent: z.number().min(0).max(100).optional(),
});

/** One pino line written by the task's logger, relayed so the worker's logger decides where it goes. */
export const logMessageSchema = z.object({ type: z.literal('log'), line: z.string() });

export const resultMessageSchema = z.object({
  type: z.literal('result'),
  // JSON values only, like the TaskEvent that carries them on.
  outputs: z.json(),
  /** The child's V8 heap after the task, so the parent can retire a child that is filling up. */
  heapUsedBytes: z.number().nonnegative(),
});

/** Child → parent: the round ended with a `TaskContinuation`; the task goes on from `checkpoint`. */
export const continuationMessageSchema = z.object({
  type: z.literal('continuation'),
  checkpoint: z.json(),
  delayMs: z.int().min(0),
  message: z.string().min(1).max(IPC_LIMITS.progressChars),
  heapUsedBytes: z.number().nonnegative(),
});

export const failureMessageSchema = z.object({
  type: z.literal('failure'),
  reason: z.string().min(1).max(IPC_LIMITS.reasonChars),
  retryable: z.boolean(),
  code: z.string().min(1).max(IPC_LIMITS.codeChars),
  /** The child's state is unknown after this failure (an uncaught exception); it exits next. */
  fatal: z.boolean(),
});

export const childMessageSchema = z.union([
  probeResultMessageSchema,
  progressMessageSchema,
  logMessageSchema,
  resultMessageSchema,
  continuationMessageSchema,
  failureMessageSchema,
]);

export type TaskSettings = z.infer<typeof taskSettingsSchema>;
export type ProbeMessage = z.infer<typeof probeMessageSchema>;
export type StartMessage = z.infer<typeof startMessageSchema>;
export type CancelMessage = z.infer<typeof cancelMessageSchema>;
export type ParentMessage = z.infer<typeof parentMessageSchema>;
export type ProbeResultMessage = z.infer<typeof probeResultMessageSchema>;
export type ProgressMessage = z.infer<typeof progressMessageSchema>;
export type ResultMessage = z.infer<typeof resultMessageSchema>;
export type ContinuationMessage = z.infer<typeof continuationMessageSchema>;
export type FailureMessage = z.infer<typeof failureMessageSchema>;
export type ChildMessage = z.infer<typeof childMessageSchema>;

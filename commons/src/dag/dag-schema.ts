import { z } from 'zod';
import { semverSchema, taskTypeSchema } from '../wire/fields';
import {
  MAX_LABEL_KEY_LENGTH,
  MAX_LABEL_VALUE_LENGTH,
  MAX_RETRY_BACKOFF_MS,
  MAX_TASK_TIMEOUT_MS,
} from '../wire/task-request';
import { inputDeclarationSchema } from './input-shapes';
import { isJsonObjectShape, jsonProblems } from '../wire/json';
import type { JsonObject } from '../wire/json';

/**
 * Experiment types and task ids. They appear in URLs (`/api/dags/:type`), Neo4j properties, wire
 * messages and, for task ids, in `{{tasks.<id>.outputs.<key>}}` templates — so no dots, spaces or
 * slashes, and a leading letter. (Task types follow the wire's `taskType` rule instead.)
 */
export const SAFE_IDENTIFIER = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/**
 * Workers advertise labels as `--labels k=v,…` and Serf tags, so keys and values avoid `=` and `,`.
 * Their lengths are the wire's (`TaskRequest.constraints`, commons/src/wire): a definition that
 * validates here must never be refused later, when its tasks are dispatched.
 */
const LABEL_KEY = new RegExp(`^[A-Za-z0-9][A-Za-z0-9_./-]{0,${MAX_LABEL_KEY_LENGTH - 1}}$`);
const LABEL_VALUE = new RegExp(`^[^=,]{0,${MAX_LABEL_VALUE_LENGTH}}$`);

const identifier = z
  .string()
  .regex(SAFE_IDENTIFIER, 'must start with a letter and hold only letters, digits, "_" and "-" (64 at most)');

const integerIn = (min: number, max: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.number().int(message).min(min, message).max(max, message);
};

/** Params are a JSON object, checked by hand so each problem names its exact path and cause. */
const paramsSchema = z.custom<JsonObject>().superRefine((value, ctx) => {
  if (!isJsonObjectShape(value)) {
    ctx.addIssue({ code: 'custom', message: 'must be a mapping of parameter names to values' });
    return;
  }
  for (const problem of jsonProblems(value)) {
    ctx.addIssue({ code: 'custom', message: problem.message, path: [...problem.path] });
  }
});

const retrySchema = z.strictObject({
  /** Attempts in all, the first included; 1 means never retry. */
  maxAttempts: integerIn(1, 20),
  /** Delay before the second attempt; later attempts back off exponentially from it. */
  backoffMs: integerIn(0, MAX_RETRY_BACKOFF_MS),
});

const constraintsSchema = z.strictObject({
  /** Every label must be advertised by the worker with exactly this value; `{}` when absent. */
  labels: z
    .record(
      z
        .string()
        .regex(
          LABEL_KEY,
          `label names hold letters, digits, "_", ".", "/" and "-" (${MAX_LABEL_KEY_LENGTH} at most)`,
        ),
      z
        .string()
        .regex(
          LABEL_VALUE,
          `label values cannot contain "=" or "," (${MAX_LABEL_VALUE_LENGTH} characters at most)`,
        ),
    )
    .default({}),
  /** The worker's plugin for the task type must be at least this version (`MAJOR.MINOR.PATCH`). */
  minPluginVersion: z
    .string({ error: 'must be a version string such as "1.2.0"' })
    .pipe(semverSchema)
    .optional(),
});

/** One node of a DAG definition. */
export const dagTaskSchema = z.strictObject({
  id: identifier,
  /** The task type, e.g. `echo`; a worker plugin serves it. Same rule as the wire's `taskType`. */
  type: taskTypeSchema,
  /** Handed to the plugin; string values may hold `{{inputs.x}}` and `{{tasks.<id>.outputs.<key>}}`. */
  params: paramsSchema.optional(),
  /** Ids of the tasks that must complete before this one starts. */
  after: z.array(identifier).optional(),
  retry: retrySchema.optional(),
  /** The worker aborts a run that takes longer. */
  timeoutMs: integerIn(1, MAX_TASK_TIMEOUT_MS).optional(),
  /**
   * How long the task may wait for a worker to take it; past it the task fails with
   * `TASK_UNSCHEDULABLE` (e.g. no live worker runs its type).
   */
  queueTimeoutMs: integerIn(1, MAX_TASK_TIMEOUT_MS).optional(),
  constraints: constraintsSchema.optional(),
});

/**
 * A DAG definition as users write it (docs/dags.md). Only the shape of each field is checked
 * here; the rules across tasks (unique ids, known dependencies, no cycles, template references)
 * live in `validate-dag.ts`.
 */
export const dagDefinitionSchema = z.strictObject({
  /** The experiment type this DAG runs. */
  type: identifier,
  description: z.string().max(10_000, 'must be 10,000 characters at most').optional(),
  /**
   * The shape of each experiment input (`user: {shape: user}`), checked when an experiment is
   * submitted; an input not declared here is held to the default rule (input-shapes.ts).
   */
  inputs: z
    .record(
      z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'input names hold letters, digits, "_" and "-" (64 at most)'),
      inputDeclarationSchema,
    )
    .optional(),
  tasks: z.array(dagTaskSchema).min(1, 'a DAG needs at least one task'),
});

/** A validated DAG definition; obtain one from `parseDagDefinition` or `validateDagDefinition`. */
export type DagDefinition = z.output<typeof dagDefinitionSchema>;
/** One task of a {@link DagDefinition}. */
export type DagTask = DagDefinition['tasks'][number];
/** A task's retry policy. */
export type DagTaskRetry = NonNullable<DagTask['retry']>;
/** Where a task may run. */
export type DagTaskConstraints = NonNullable<DagTask['constraints']>;

import { z } from 'zod';
import { jsonProblems } from './json';
import type { JsonValue } from './json';

/**
 * Field schemas shared by several wire messages. Identifiers are bounded and printable so that they
 * can appear in queue names, log lines and SQL keys without escaping surprises.
 */

/**
 * How many levels of arrays and objects a JSON value of the wire may nest, the value itself counting
 * as the first: deeper than any task context needs, and a guard against stack exhaustion by hostile
 * input. It is what the state store's JSON columns hold (MariaDB refuses 32 levels or more), so that
 * the wire never carries inputs or outputs the store would refuse: such an event could never be
 * recorded, and its experiment would never end. DAG validation refuses params that would break it
 * (commons/src/dag/wire-limits.ts).
 */
export const MAX_JSON_DEPTH = 31;
/**
 * The longest texts the wire carries, in characters: a FAILED or CANCELLED `reason` (an error
 * message with its context), and the shorter texts meant for people — a PROGRESS, DEFERRED or
 * WAITING `message`, a cancel's `reason`. Producers clip to them so that no event is refused.
 */
export const WIRE_TEXT_LIMITS = { reasonChars: 8192, messageChars: 4096 } as const;

/** One wrong leaf is usually repeated many times; a few examples are enough to fix it. */
const MAX_JSON_ISSUES = 10;

/**
 * Any JSON value: what a task's context and outputs may hold. zod's own `z.json()` rejects the same
 * values but reports only "Invalid input" at the top of the value; this names the offending leaf
 * (`context.files[2]: not a JSON value (Date)`), which is what a person reading a dead-letter queue
 * needs.
 */
export const jsonValueSchema = z.custom<JsonValue>().superRefine((root, ctx) => {
  for (const { path, message } of jsonProblems(root, {
    maxDepth: MAX_JSON_DEPTH,
    maxProblems: MAX_JSON_ISSUES,
  })) {
    ctx.addIssue({ code: 'custom', path: [...path], message });
  }
});

/** An experiment id, as minted by the orchestrator. */
export const experimentIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'expected letters, digits and _ . : - only');

/** A task id, unique within its DAG definition (e.g. `stage-in`). */
export const taskIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected letters, digits and _ . - only');

/** A task type served by a plugin, e.g. `echo` or `job-submission`. */
export const taskTypeSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_.-]*$/, 'expected a lower-case name such as echo or job-submission');

/**
 * A worker name. It becomes part of the worker's queue name (`<ns>.worker.<id>`) and of its Serf
 * node name, hence the tight alphabet.
 */
export const workerIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected letters, digits and _ . - only');

/** The largest attempt number the wire carries. */
export const MAX_ATTEMPT = 1000;

/** Which run of a task this is; the first run is attempt 1. Part of every idempotency key. */
export const attemptSchema = z.int().min(1).max(MAX_ATTEMPT);

/** An experiment's run: 1, then one more per rerun. */
export const runSchema = z.int().min(1).max(1_000_000);

/** Experiment priority; becomes the AMQP message priority (queues declare `x-max-priority: 10`). */
export const prioritySchema = z.int().min(0).max(9);

/** An instant as an ISO-8601 string with milliseconds, e.g. `new Date().toISOString()`. */
export const timestampSchema = z.iso.datetime({ offset: true });

/** A plugin version `MAJOR.MINOR.PATCH[-pre]`, as compared by placement constraints. */
export const semverSchema = z
  .string()
  .regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/, 'expected a version such as 1.2.0');

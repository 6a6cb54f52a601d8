import { formatIssuePath, jsonValueSchema } from '@wlm/commons/wire';
import { z } from 'zod';
import { EXPERIMENT_STATES } from '../domain/experiment-state';
import { badRequest } from './api-error';

/** Experiment ids the store can hold (MySQL `experiments.id` is VARCHAR(64)). */
export const EXPERIMENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
/** Experiment types are DAG types: commons' SAFE_IDENTIFIER. */
const TYPE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const typeSchema = z
  .string()
  .regex(TYPE, 'must start with a letter and hold only letters, digits, "_" and "-" (64 at most)');

const positiveInteger = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1').max(max, `must be at most ${max}`));

export const submitBodySchema = z.strictObject({
  type: typeSchema,
  inputs: z.record(z.string(), jsonValueSchema).default({}),
  priority: z
    .int('must be a whole number from 0 to 9')
    .min(0, 'must be 0–9')
    .max(9, 'must be 0–9')
    .default(5),
  idempotencyKey: z
    .string()
    .min(1, 'must not be empty')
    .max(255, 'must be 255 characters at most')
    .optional(),
});

export const listExperimentsQuerySchema = z.strictObject({
  state: z.enum(EXPERIMENT_STATES, `must be one of ${EXPERIMENT_STATES.join(', ')}`).optional(),
  type: typeSchema.optional(),
  text: z.string().min(1).max(200, 'must be 200 characters at most').optional(),
  limit: positiveInteger(1000).optional(),
  cursor: z.string().min(1).max(512).optional(),
});

export const pageQuerySchema = z.strictObject({
  limit: positiveInteger(1000).optional(),
  cursor: z.string().min(1).max(512).optional(),
});

export const taskLogsQuerySchema = z.strictObject({
  run: positiveInteger(2 ** 31 - 1).optional(),
  attempt: positiveInteger(2 ** 31 - 1).optional(),
});

export const experimentQuerySchema = z.strictObject({ run: positiveInteger(2 ** 31 - 1).optional() });

export const dagQuerySchema = z.strictObject({ version: positiveInteger(2 ** 31 - 1).optional() });

export const dagTypeSchema = typeSchema;
export const dagPathSchema = z.object({ type: typeSchema });

/**
 * Parses `value` with `schema`, or throws a 400 naming the first field at fault as the client wrote
 * it: `body.priority`, `query.state`.
 */
export function parseRequest<S extends z.ZodType>(
  schema: S,
  value: unknown,
  /** Where the value came from, for the field the error names: `body`, `query`, `path`, `items[3]`. */
  where: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  if (issue === undefined) throw badRequest(where, 'is not valid');
  const field = formatIssuePath(issue.path, where);
  throw badRequest(field, describe(issue, value));
}

function describe(issue: z.core.$ZodIssue, root: unknown): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')}`;
  }
  if (issue.path.length === 0 && (typeof root !== 'object' || root === null || Array.isArray(root))) {
    return 'must be a JSON object';
  }
  if (issue.code === 'invalid_type' && valueAt(root, issue.path) === undefined) return 'is required';
  return issue.message;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Most experiments one `POST /api/experiments/batch` creates. */
export const MAX_BATCH_ITEMS = 1000;

/** The batch's envelope; each item is checked on its own with {@link submitBodySchema}. */
export const submitBatchBodySchema = z.strictObject({
  items: z
    .array(z.unknown())
    .min(1, 'must hold at least one experiment')
    .max(MAX_BATCH_ITEMS, `must hold at most ${MAX_BATCH_ITEMS} experiments`),
});

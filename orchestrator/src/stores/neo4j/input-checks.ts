import type { InstantiateRequest, TaskCompletion, TaskKey, TaskStateChange } from '../../domain/dag-store';
import { isJsonObject } from '../../domain/json';
import { isTaskState } from '../../domain/task-state';
import { StoreInputError } from '../../errors/store-input-error';

/**
 * Checks done before any Cypher runs, so a bad value fails with a message naming the field, and a
 * batch is rejected whole instead of being half-written. Neo4j has no column sizes; the limits are
 * those of the wire (`experimentIdSchema`, `taskIdSchema`), which every id must cross anyway.
 */
const MAX_ID_LENGTH = 128;
/** The wire's `attemptSchema` maximum. */
const MAX_ATTEMPT = 1000;

export function checkText(field: string, value: string, max = MAX_ID_LENGTH): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new StoreInputError(field, `must be a string of 1–${max} characters`);
  }
}

export function checkInteger(field: string, value: number, min: number, max = 2 ** 31 - 1): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new StoreInputError(field, `must be an integer from ${min} to ${max}, got ${value}`);
  }
}

/** `taskIds[3].run`, or just `run` for a top-level argument. */
function path(field: string, name: string): string {
  return field === '' ? name : `${field}.${name}`;
}

export function checkRun(field: string, experimentId: string, run: number): void {
  checkText(path(field, 'experimentId'), experimentId);
  checkInteger(path(field, 'run'), run, 1);
}

function checkKey(field: string, key: TaskKey): void {
  checkRun(field, key.experimentId, key.run);
  checkText(`${field}.taskId`, key.taskId);
}

export function checkInstantiateRequest(request: InstantiateRequest): void {
  checkRun('', request.experimentId, request.run);
  checkText('experimentType', request.experimentType);
  checkInteger('version', request.version, 1);
  if (!isJsonObject(request.inputs)) throw new StoreInputError('inputs', 'must be a plain JSON object');
}

export function checkCompletion(field: string, completion: TaskCompletion): void {
  checkKey(field, completion);
  checkInteger(`${field}.attempt`, completion.attempt, 1, MAX_ATTEMPT);
  if (!isJsonObject(completion.outputs)) {
    throw new StoreInputError(`${field}.outputs`, 'must be a plain JSON object');
  }
}

export function checkStateChange(field: string, change: TaskStateChange): void {
  checkKey(field, change);
  checkInteger(`${field}.attempt`, change.attempt, 1, MAX_ATTEMPT);
  if (!isTaskState(change.state)) {
    throw new StoreInputError(`${field}.state`, `unknown task state ${String(change.state)}`);
  }
  if ((change.state as string) === 'COMPLETED') {
    throw new StoreInputError(
      `${field}.state`,
      'COMPLETED is recorded with markExecuted, which also sets isExecuted',
    );
  }
}

/** A string that orders keys the same way for every caller: concurrent batches then lock in one order. */
export function keyOf(key: TaskKey): string {
  return `${key.experimentId}\u0000${String(key.run).padStart(10, '0')}\u0000${key.taskId}`;
}

/**
 * One entry per key, sorted by key. `prefer(current, next)` says whether a later entry for a key
 * replaces the one kept so far; the result is what applying them one by one would leave.
 */
export function dedupeByKey<T extends TaskKey>(
  items: readonly T[],
  prefer: (kept: T, next: T) => boolean,
): T[] {
  const kept = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    const current = kept.get(key);
    if (current === undefined || prefer(current, item)) kept.set(key, item);
  }
  return [...kept.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => item);
}

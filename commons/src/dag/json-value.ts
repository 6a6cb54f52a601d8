import type { JsonValue } from '../wire/fields';

// One JSON type across commons: params rendered here become the wire's TaskRequest context.
export type { JsonValue };

/** A JSON object: what a task's params, an experiment's inputs and a task's outputs are. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** One reason a value is not JSON, at a path of keys and indexes below the value checked. */
export interface JsonProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

function describeNonJson(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    return `not a JSON value (${value.constructor?.name ?? 'object without prototype'})`;
  }
  return `not a JSON value (${typeof value})`;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Every place where `value` is not JSON. The REST API hands us parsed JSON, but callers of
 * `validateDagDefinition` may pass any object, and YAML can produce `.inf`, `.nan` and `!!binary`
 * values; none of those would survive storage in Neo4j or a trip over the wire.
 */
export function jsonProblems(value: unknown): JsonProblem[] {
  const problems: JsonProblem[] = [];
  // Only the objects on the current path: the same object may appear twice in a tree, but not inside itself.
  const onPath = new Set<object>();
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (node === null || typeof node === 'string' || typeof node === 'boolean') return;
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) problems.push({ path, message: `not a finite number (${node})` });
      return;
    }
    if (typeof node !== 'object') {
      problems.push({ path, message: describeNonJson(node) });
      return;
    }
    if (onPath.has(node)) {
      problems.push({ path, message: 'contains itself (a circular reference)' });
      return;
    }
    if (!Array.isArray(node) && !isPlainObject(node)) {
      problems.push({ path, message: describeNonJson(node) });
      return;
    }
    onPath.add(node);
    if (Array.isArray(node)) {
      // A for loop, not forEach: holes in a sparse array must be reported, not skipped.
      for (let index = 0; index < node.length; index += 1) visit(node[index] as unknown, [...path, index]);
    } else {
      for (const [key, child] of Object.entries(node)) visit(child, [...path, key]);
    }
    onPath.delete(node);
  };
  visit(value, []);
  return problems;
}

/** True for a plain object (not an array, not a class instance); the shape params must have. */
export function isJsonObjectShape(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && isPlainObject(value);
}

/** A value that survives `JSON.stringify` → `JSON.parse` unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object: what a task's params and outputs, and an experiment's inputs, are. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** One reason a value is not JSON, at a path of keys and indexes below the value checked. */
export interface JsonProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** What {@link jsonProblems} checks beyond JSON-ness, and how much it reports. */
export interface JsonCheckOptions {
  /** Objects and arrays may nest this many levels, the value itself counting as the first. */
  readonly maxDepth?: number;
  /** Stop after this many problems (one wrong leaf is usually repeated many times). */
  readonly maxProblems?: number;
}

/** True for a plain object (not an array, not a class instance, not null): the shape of a JSON object. */
export function isJsonObjectShape(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describeType(value: unknown): string {
  if (typeof value === 'object' && value !== null)
    return value.constructor?.name ?? 'object without prototype';
  return typeof value;
}

/**
 * Every place where `value` is not a JSON value — `undefined`, functions, bigints, NaN and the
 * infinities, class instances (Date, Map, Buffer), circular references, and with `maxDepth` nesting
 * past it — each at its path below `value`. The one walk over unknown values that the DAG checks, the
 * wire's {@link jsonValueSchema} and the worker's check of task outputs share: JSON.stringify would
 * silently drop or mangle any of these, YAML can produce some, and a task can return any of them.
 * Recursion stops at `maxDepth`, so with it no input exhausts the stack.
 */
export function jsonProblems(value: unknown, options: JsonCheckOptions = {}): JsonProblem[] {
  const { maxDepth = Number.POSITIVE_INFINITY, maxProblems = Number.POSITIVE_INFINITY } = options;
  const problems: JsonProblem[] = [];
  // Only the objects on the current path: the same object may appear twice in a tree, but not inside itself.
  const onPath = new Set<object>();
  const report = (path: (string | number)[], message: string): void => {
    problems.push({ path, message });
  };
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (problems.length >= maxProblems) return;
    if (node === null || typeof node === 'string' || typeof node === 'boolean') return;
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) report(path, `not a finite number (${node})`);
      return;
    }
    // Worded like zod's own type errors: undefined is most often a missing field.
    if (node === undefined) return report(path, 'expected a JSON value, received undefined');
    if (typeof node !== 'object' || (!Array.isArray(node) && !isJsonObjectShape(node))) {
      return report(path, `not a JSON value (${describeType(node)})`);
    }
    if (onPath.has(node)) return report(path, 'contains itself (a circular reference)');
    // The path's length is the number of objects around this one, each a level.
    if (path.length >= maxDepth) return report(path, `nested deeper than ${maxDepth} levels`);
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

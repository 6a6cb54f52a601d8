import { MAX_JSON_DEPTH } from '@wlm/commons/wire';

/**
 * The first place in `value` that is not a JSON value the wire carries, as `root.a[2].b: what it
 * is`, or undefined when all of it is. Outputs must survive the IPC channel and the TaskEvent
 * unchanged: JSON.stringify would silently drop or mangle the rest (undefined, functions, NaN, Dates,
 * Maps), and the TaskEvent refuses values nested deeper than the wire's limit.
 */
export function findNonJson(value: unknown, root: string): string | undefined {
  return visit(value, root, new Set());
}

function visit(value: unknown, path: string, ancestors: Set<object>): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number')
    return Number.isFinite(value) ? undefined : `${path}: ${value} is not a JSON number`;
  if (typeof value !== 'object') return `${path}: a ${typeof value} is not a JSON value`;
  if (ancestors.has(value)) return `${path}: circular reference`;
  // The ancestors are the objects around this one: as many levels as it sits below the root.
  if (ancestors.size >= MAX_JSON_DEPTH) {
    return `${path}: nested deeper than ${MAX_JSON_DEPTH} levels (the wire's limit)`;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) {
    return `${path}: a ${value.constructor.name} is not a plain JSON object`;
  }
  ancestors.add(value);
  const entries = Array.isArray(value)
    ? value.map((item, index) => [`${path}[${index}]`, item] as const)
    : Object.entries(value).map(([key, item]) => [`${path}.${key}`, item] as const);
  for (const [itemPath, item] of entries) {
    const problem = visit(item, itemPath, ancestors);
    if (problem !== undefined) return problem;
  }
  ancestors.delete(value);
  return undefined;
}

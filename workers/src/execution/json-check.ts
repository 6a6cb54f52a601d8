import { MAX_JSON_DEPTH, describeIssues, jsonProblems } from '@wlm/commons/wire';

/**
 * The first place in `value` that is not a JSON value the wire carries, as `root.a[2].b: what it
 * is`, or undefined when all of it is. Outputs must survive the IPC channel and the TaskEvent
 * unchanged: JSON.stringify would silently drop or mangle the rest (undefined, functions, NaN, Dates,
 * Maps), and the TaskEvent refuses values nested deeper than the wire's limit.
 */
export function findNonJson(value: unknown, root: string): string | undefined {
  const problems = jsonProblems(value, { maxDepth: MAX_JSON_DEPTH, maxProblems: 1 });
  return problems.length === 0 ? undefined : describeIssues(problems, root);
}

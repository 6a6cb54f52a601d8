import { MAX_JSON_DEPTH } from '../wire/fields';
import { MAX_CONTEXT_BYTES, jsonByteLength } from '../wire/task-request';
import { isJsonObjectShape, jsonProblems } from '../wire/json';
import type { JsonObject } from '../wire/json';
import { smallestRendering } from './render-params';
import { taskLabel } from './schema-issues';

/**
 * How many levels of arrays and objects `value` nests, the value itself counting as the first — the
 * measure of the wire's {@link MAX_JSON_DEPTH}. Counting stops one past `limit`: that is enough to
 * tell, and it keeps hostile input from costing more. Iterative, so no input exhausts the stack.
 */
export function jsonNestingDepth(value: unknown, limit = Number.MAX_SAFE_INTEGER): number {
  let deepest = 0;
  const stack: { node: unknown; level: number }[] = [{ node: value, level: 1 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { node, level } = next;
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, level);
    if (level > limit) return deepest;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      stack.push({ node: child as unknown, level: level + 1 });
    }
  }
  return deepest;
}

/** How {@link paramsLimitProblems} names what it checks. */
export interface ParamsLimitWording {
  /** What the params are: `params` (the default), `params rendered with the experiment's inputs`… */
  subject?: string;
  /** True when the params checked are the smallest the task can render to, not the actual ones. */
  smallest?: boolean;
}

/**
 * Which limits of the wire's `TaskRequest.context` the params break — a task's params, rendered,
 * become its request's context — each described for a person: `params nested deeper than 31 levels
 * (the wire's limit)`. The limits are the wire's own constants. An empty list means they fit.
 */
export function paramsLimitProblems(params: JsonObject, wording: ParamsLimitWording = {}): string[] {
  const subject = wording.subject ?? 'params';
  const problems: string[] = [];
  if (jsonNestingDepth(params, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    problems.push(`${subject} nested deeper than ${MAX_JSON_DEPTH} levels (the wire's limit)`);
  }
  const bytes = jsonByteLength(params);
  if (bytes !== undefined && bytes > MAX_CONTEXT_BYTES) {
    problems.push(
      `${subject} take ${wording.smallest === true ? 'at least ' : ''}${bytes} bytes as JSON, ` +
        `more than ${MAX_CONTEXT_BYTES} (the wire's limit)`,
    );
  }
  return problems;
}

/**
 * The wire's limits on every task's params, checked on the smallest rendering the params can have
 * ({@link smallestRendering}): a template never removes a level of nesting, and its value takes at
 * least one byte where the template stood alone and none inside text. So a problem found here means
 * no experiment of the DAG could ever dispatch the task. Read leniently, like the cross-task rules:
 * params that are not a JSON object have their own schema problems.
 */
export function wireLimitProblems(input: unknown): string[] {
  if (typeof input !== 'object' || input === null) return [];
  const { tasks } = input as { tasks?: unknown };
  if (!Array.isArray(tasks)) return [];
  return tasks.flatMap((task: unknown, position): string[] => {
    if (typeof task !== 'object' || task === null) return [];
    const { params } = task as { params?: unknown };
    if (!isJsonObjectShape(params) || jsonProblems(params).length > 0) return [];
    const label = taskLabel(input, position);
    return paramsLimitProblems(smallestRendering(params as JsonObject), { smallest: true }).map(
      (problem) => `${label}: ${problem}`,
    );
  });
}

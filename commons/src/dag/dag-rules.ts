import { SAFE_IDENTIFIER } from './dag-schema';
import { findCycles } from './graph-cycles';
import { jsonProblems } from '../wire/json';
import { taskLabel } from './schema-issues';
import { scanTemplates } from './template-syntax';

/**
 * The parts of a task the cross-task rules need, read leniently from unvalidated input so that a
 * bad field in one task does not hide a cycle or a dangling dependency elsewhere.
 */
interface TaskOutline {
  readonly id: string;
  readonly label: string;
  readonly position: number;
  readonly after: readonly string[];
  readonly params: unknown;
}

function outline(input: unknown): TaskOutline[] {
  if (typeof input !== 'object' || input === null) return [];
  const { tasks } = input as { tasks?: unknown };
  if (!Array.isArray(tasks)) return [];
  return tasks.flatMap((task: unknown, position): TaskOutline[] => {
    if (typeof task !== 'object' || task === null) return [];
    const { id, after, params } = task as { id?: unknown; after?: unknown; params?: unknown };
    if (typeof id !== 'string') return [];
    const dependencies = Array.isArray(after)
      ? after.filter((entry: unknown): entry is string => typeof entry === 'string')
      : [];
    return [{ id, label: taskLabel(input, position), position, after: dependencies, params }];
  });
}

function listPositions(positions: readonly number[]): string {
  const numbered = positions.map((at) => `#${at + 1}`);
  const last = numbered.pop();
  return numbered.length === 0 ? `${last}` : `${numbered.join(', ')} and ${last}`;
}

function duplicateIds(tasks: readonly TaskOutline[]): string[] {
  const positions = new Map<string, number[]>();
  for (const task of tasks) positions.set(task.id, [...(positions.get(task.id) ?? []), task.position]);
  return [...positions]
    .filter(([, at]) => at.length > 1)
    .map(([id, at]) => `duplicate task id ${JSON.stringify(id)} (tasks ${listPositions(at)})`);
}

function dependencyProblems(tasks: readonly TaskOutline[], ids: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const task of tasks) {
    const seen = new Set<string>();
    for (const dependency of task.after) {
      if (seen.has(dependency)) {
        problems.push(`${task.label}: after lists ${JSON.stringify(dependency)} more than once`);
      } else if (dependency === task.id) {
        problems.push(`${task.label} depends on itself (after: [${dependency}])`);
      } else if (!ids.has(dependency) && SAFE_IDENTIFIER.test(dependency)) {
        // A malformed id already has a schema problem; saying "unknown" too would only be noise.
        problems.push(`${task.label}: after refers to unknown task ${JSON.stringify(dependency)}`);
      }
      seen.add(dependency);
    }
  }
  return problems;
}

/**
 * Parents and children by id. Duplicate ids merge their edges so cycle detection still sees every
 * edge; `after` lists are short, so a linear `includes` beats a Set per task.
 */
function edges(tasks: readonly TaskOutline[], ids: ReadonlySet<string>) {
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const id of ids) {
    parents.set(id, []);
    children.set(id, []);
  }
  for (const task of tasks) {
    const known = parents.get(task.id) ?? [];
    for (const dependency of task.after) {
      if (dependency === task.id || !ids.has(dependency) || known.includes(dependency)) continue;
      known.push(dependency);
      children.get(dependency)?.push(task.id);
    }
  }
  return { parents, children };
}

function ancestorsOf(id: string, parents: ReadonlyMap<string, readonly string[]>): Set<string> {
  const found = new Set<string>();
  const stack = [...(parents.get(id) ?? [])];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (found.has(next)) continue;
    found.add(next);
    stack.push(...(parents.get(next) ?? []));
  }
  return found;
}

function templateProblems(
  tasks: readonly TaskOutline[],
  ids: ReadonlySet<string>,
  parents: ReadonlyMap<string, readonly string[]>,
): string[] {
  const problems: string[] = [];
  for (const task of tasks) {
    // Params that are not JSON already have schema problems, and may even contain themselves.
    if (task.params === undefined || jsonProblems(task.params).length > 0) continue;
    let ancestors: Set<string> | undefined;
    for (const found of scanTemplates(task.params)) {
      const at = `${task.label}: ${found.path}: ${found.template}`;
      if (found.kind === 'malformed') {
        problems.push(
          `${at} is not a valid template; write {{inputs.<name>}} or {{tasks.<id>.outputs.<key>}}`,
        );
      } else if (found.kind === 'task-output') {
        const source = JSON.stringify(found.taskId);
        if (found.taskId === task.id) {
          problems.push(`${at} refers to the task's own outputs, which do not exist before it runs`);
        } else if (!ids.has(found.taskId)) {
          problems.push(`${at} refers to unknown task ${source}`);
        } else {
          // Computed once per task and only for tasks that use outputs: O(V+E) each.
          ancestors ??= ancestorsOf(task.id, parents);
          if (!ancestors.has(found.taskId)) {
            problems.push(
              `${at} uses outputs of task ${source}, which is not upstream of ${JSON.stringify(task.id)}; ` +
                `add ${source} to its after (directly or through another task)`,
            );
          }
        }
      }
    }
  }
  return problems;
}

/**
 * The rules across tasks: unique ids, dependencies that name other existing tasks, no cycles
 * (each one named), and `{{tasks.<id>.outputs.<key>}}` templates that name an upstream task.
 */
export function crossTaskProblems(input: unknown): string[] {
  const tasks = outline(input);
  const ids = new Set(tasks.map((task) => task.id));
  const { parents, children } = edges(tasks, ids);
  const cycles = findCycles([...ids], (id) => children.get(id) ?? []).map(
    (cycle) => `cycle: ${cycle.join(' -> ')}`,
  );
  return [
    ...duplicateIds(tasks),
    ...dependencyProblems(tasks, ids),
    ...cycles,
    ...templateProblems(tasks, ids, parents),
  ];
}

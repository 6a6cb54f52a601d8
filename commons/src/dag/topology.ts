import { DagGraph } from './dag-graph';
import type { DagDefinition } from './dag-schema';

/** A validated definition, or its {@link DagGraph} (faster when called repeatedly). */
export type DagLike = DagDefinition | DagGraph;

const NOTHING: ReadonlySet<string> = new Set();

/**
 * Every task id, each after all of its dependencies; ties keep definition order.
 *
 * @example
 * ```ts
 * topologicalOrder(diamond); // ['a', 'b', 'c', 'd']
 * ```
 */
export function topologicalOrder(dag: DagLike): string[] {
  return [...DagGraph.from(dag).topologicalOrder()];
}

/** Tasks without dependencies, in definition order: what an experiment starts with. */
export function rootTasks(dag: DagLike): string[] {
  const graph = DagGraph.from(dag);
  return graph.taskIds.filter((id) => graph.dependenciesOf(id).length === 0);
}

function isReady(graph: DagGraph, id: string, executed: ReadonlySet<string>, inFlight: ReadonlySet<string>) {
  return (
    !executed.has(id) && !inFlight.has(id) && graph.dependenciesOf(id).every((parent) => executed.has(parent))
  );
}

/**
 * Tasks that can be dispatched now: not executed, not in flight, every dependency executed. In
 * definition order; O(V+E).
 *
 * @example
 * ```ts
 * readyTasks(diamond, new Set(['a']));                  // ['b', 'c']
 * readyTasks(diamond, new Set(['a']), new Set(['b']));  // ['c']
 * ```
 */
export function readyTasks(
  dag: DagLike,
  executed: ReadonlySet<string>,
  inFlight: ReadonlySet<string> = NOTHING,
): string[] {
  const graph = DagGraph.from(dag);
  return graph.taskIds.filter((id) => isReady(graph, id, executed, inFlight));
}

/**
 * The dependents of `completed` that became ready once it was executed (`executed` includes it).
 * Costs only the edges around `completed`, so an engine reacting to each completion event need
 * not rescan the whole DAG with {@link readyTasks}.
 */
export function readyDependentsOf(
  dag: DagLike,
  completed: string,
  executed: ReadonlySet<string>,
  inFlight: ReadonlySet<string> = NOTHING,
): string[] {
  const graph = DagGraph.from(dag);
  return graph.dependentsOf(completed).filter((id) => isReady(graph, id, executed, inFlight));
}

function reachable(start: string, next: (id: string) => readonly string[]): Set<string> {
  const found = new Set<string>();
  const stack = [...next(start)];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    if (found.has(id)) continue;
    found.add(id);
    stack.push(...next(id));
  }
  return found;
}

/**
 * Every task that depends on `id`, directly or not, in topological order — what a rerun of `id`
 * must run again. Throws a RangeError for an unknown id.
 */
export function downstreamOf(dag: DagLike, id: string): string[] {
  const graph = DagGraph.from(dag);
  const found = reachable(id, (task) => graph.dependentsOf(task));
  return graph.topologicalOrder().filter((task) => found.has(task));
}

/** Every task `id` depends on, directly or not, in topological order. Throws a RangeError for an unknown id. */
export function upstreamOf(dag: DagLike, id: string): string[] {
  const graph = DagGraph.from(dag);
  const found = reachable(id, (task) => graph.dependenciesOf(task));
  return graph.topologicalOrder().filter((task) => found.has(task));
}

/** True when every task of the DAG is in `executed`. */
export function isComplete(dag: DagLike, executed: ReadonlySet<string>): boolean {
  return DagGraph.from(dag).taskIds.every((id) => executed.has(id));
}

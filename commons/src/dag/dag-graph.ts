import { DagValidationError } from '../errors/dag-validation-error';
import type { DagDefinition, DagTask } from './dag-schema';
import { findCycles } from './graph-cycles';

/**
 * A validated DAG with its edges indexed both ways and its topological order computed once, in
 * O(V+E). Build one per definition and keep it: the helpers in `topology.ts` accept a plain
 * definition too, but then rebuild the graph on every call.
 *
 * Construction re-checks the invariants the helpers rely on (unique ids, known dependencies, no
 * cycle), because a `DagDefinition` may have been built by hand rather than by validation.
 *
 * @example
 * ```ts
 * const graph = DagGraph.from(parseDagDefinition(text));
 * graph.dependentsOf('a'); // ['b', 'c']
 * ```
 */
export class DagGraph {
  /** Task ids in the order the definition lists them. */
  readonly taskIds: readonly string[];
  private readonly tasks = new Map<string, DagTask>();
  private readonly parents = new Map<string, readonly string[]>();
  private readonly children = new Map<string, string[]>();
  private readonly order: readonly string[];

  /** The graph of `dag`; a graph is returned as it is. */
  static from(dag: DagDefinition | DagGraph): DagGraph {
    return dag instanceof DagGraph ? dag : new DagGraph(dag);
  }

  private constructor(readonly definition: DagDefinition) {
    const problems: string[] = [];
    for (const task of definition.tasks) {
      if (this.tasks.has(task.id)) problems.push(`duplicate task id ${JSON.stringify(task.id)}`);
      this.tasks.set(task.id, task);
      this.children.set(task.id, []);
    }
    this.taskIds = [...this.tasks.keys()];
    for (const task of definition.tasks) {
      // Validation rejects repeats in after; hand-built definitions are tolerated.
      const after =
        task.after === undefined ? [] : task.after.length < 2 ? task.after : [...new Set(task.after)];
      this.parents.set(task.id, after);
      for (const parent of after) {
        const siblings = this.children.get(parent);
        if (parent === task.id) {
          problems.push(`task ${JSON.stringify(task.id)} depends on itself (after: [${parent}])`);
        } else if (siblings === undefined) {
          problems.push(
            `task ${JSON.stringify(task.id)}: after refers to unknown task ${JSON.stringify(parent)}`,
          );
        } else {
          siblings.push(task.id);
        }
      }
    }
    if (problems.length > 0) throw new DagValidationError(problems, definition.type);
    this.order = this.kahnOrder();
  }

  /** Kahn's algorithm; ties go to the task listed first, so the order is stable across runs. */
  private kahnOrder(): string[] {
    const waitingOn = new Map(this.taskIds.map((id) => [id, this.dependenciesOf(id).length]));
    const order = this.taskIds.filter((id) => waitingOn.get(id) === 0);
    for (let head = 0; head < order.length; head += 1) {
      for (const child of this.dependentsOf(order[head] as string)) {
        const left = (waitingOn.get(child) ?? 0) - 1;
        waitingOn.set(child, left);
        if (left === 0) order.push(child);
      }
    }
    if (order.length < this.taskIds.length) {
      const cycles = findCycles(this.taskIds, (id) => this.dependentsOf(id));
      throw new DagValidationError(
        cycles.map((cycle) => `cycle: ${cycle.join(' -> ')}`),
        this.definition.type,
      );
    }
    return order;
  }

  /** True when the DAG has a task with this id. */
  has(id: string): boolean {
    return this.tasks.has(id);
  }

  /** The task with this id; throws a RangeError for an id the DAG does not have. */
  task(id: string): DagTask {
    const task = this.tasks.get(id);
    if (task === undefined) throw this.unknown(id);
    return task;
  }

  /** The tasks this one waits for directly (its `after`). */
  dependenciesOf(id: string): readonly string[] {
    const parents = this.parents.get(id);
    if (parents === undefined) throw this.unknown(id);
    return parents;
  }

  /** The tasks that wait directly for this one. */
  dependentsOf(id: string): readonly string[] {
    const children = this.children.get(id);
    if (children === undefined) throw this.unknown(id);
    return children;
  }

  /** Every task, each after all of its dependencies. */
  topologicalOrder(): readonly string[] {
    return this.order;
  }

  private unknown(id: string): RangeError {
    // A caller bug (an id from another DAG or a stale message), not a user's definition problem.
    return new RangeError(`DAG ${JSON.stringify(this.definition.type)} has no task ${JSON.stringify(id)}`);
  }
}

import type { InstantiateRequest } from '../../domain/dag-store';
import { checkInstantiateRequest } from './input-checks';

/** A request at its index in the caller's list. */
export interface PlannedRun {
  index: number;
  request: InstantiateRequest;
}

export interface InstantiatePlan {
  /** Transactions to run, each a list of distinct runs of at most about `maxTasks` nodes. */
  chunks: PlannedRun[][];
  /** Requests refused before any Cypher runs, by index. */
  invalid: Map<number, Error>;
  /** A run given again: its index → the index of its first request, whose outcome it shares. */
  repeats: Map<number, number>;
}

/**
 * Splits the requests of `instantiateMany` into transactions: invalid ones out, each (experimentId,
 * run) once (a repeat shares the first one's outcome: two rows of one statement must never meet the
 * same anchor), runs in order, a new transaction once the next run would take one past `maxTasks`
 * nodes — a single larger DAG goes alone.
 */
export function planInstantiation(
  requests: readonly InstantiateRequest[],
  sizeOf: (request: InstantiateRequest) => number,
  maxTasks: number,
): InstantiatePlan {
  const plan: InstantiatePlan = { chunks: [], invalid: new Map(), repeats: new Map() };
  const firstOfRun = new Map<string, number>();
  let current: PlannedRun[] = [];
  let tasksInCurrent = 0;
  requests.forEach((request, index) => {
    try {
      checkInstantiateRequest(request);
    } catch (error) {
      plan.invalid.set(index, error as Error);
      return;
    }
    const key = `${request.experimentId}\u0000${request.run}`;
    const first = firstOfRun.get(key);
    if (first !== undefined) {
      plan.repeats.set(index, first);
      return;
    }
    firstOfRun.set(key, index);
    const size = sizeOf(request);
    if (current.length > 0 && tasksInCurrent + size > maxTasks) {
      plan.chunks.push(current);
      current = [];
      tasksInCurrent = 0;
    }
    current.push({ index, request });
    tasksInCurrent += size;
  });
  if (current.length > 0) plan.chunks.push(current);
  return plan;
}

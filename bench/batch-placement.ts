import type { GreedyPlacement, PlacementRequest } from '@wlm/scheduler';

/**
 * Placing a burst of requests at once, for the placement benchmark's comparison of greedy placement
 * with max-flow batch placement. The scheduler itself places held requests one at a time, highest
 * priority first (its `RequestDispatcher`); a request left unplaced waits there for the next free
 * slot rather than failing.
 */

/** One placed request of a batch. */
export interface Assignment<R extends PlacementRequest> {
  readonly request: R;
  /** Position of the request in the batch as given. */
  readonly requestIndex: number;
  readonly workerId: string;
}

/** The outcome of placing a batch: every request is either assigned or unplaced, in input order. */
export interface BatchPlacement<R extends PlacementRequest> {
  readonly assignments: readonly Assignment<R>[];
  readonly unplaced: readonly R[];
}

/** Positions of `requests`, highest priority first, in input order within a priority. */
export function byPriority(requests: readonly PlacementRequest[]): number[] {
  const priorityOf = (i: number): number => requests[i]?.priority ?? 0;
  return requests.map((_, i) => i).sort((a, b) => priorityOf(b) - priorityOf(a) || a - b);
}

/** Positions of `requests` grouped by priority, highest priority first. */
export function priorityLevels(requests: readonly PlacementRequest[]): number[][] {
  const levels: number[][] = [];
  let current: number[] = [];
  let currentPriority: number | undefined;
  for (const index of byPriority(requests)) {
    const priority = requests[index]?.priority ?? 0;
    if (priority !== currentPriority && current.length > 0) {
      levels.push(current);
      current = [];
    }
    currentPriority = priority;
    current.push(index);
  }
  if (current.length > 0) levels.push(current);
  return levels;
}

/**
 * Places a burst one request at a time with `placement`, higher priority first (input order within
 * a priority), reserving slots as it goes — as the scheduler does. Fast, but a choice is never
 * revisited, so it can leave requests unplaced that `MaxFlowBatchPlacement` would place.
 */
export function placeGreedily<R extends PlacementRequest>(
  placement: GreedyPlacement,
  requests: readonly R[],
): BatchPlacement<R> {
  const assignments: Assignment<R>[] = [];
  const placed = new Set<number>();
  for (const requestIndex of byPriority(requests)) {
    const request = requests[requestIndex] as R;
    const worker = placement.place(request);
    if (worker === undefined) continue;
    assignments.push({ request, requestIndex, workerId: worker.workerId });
    placed.add(requestIndex);
  }
  assignments.sort((a, b) => a.requestIndex - b.requestIndex);
  return { assignments, unplaced: requests.filter((_, i) => !placed.has(i)) };
}

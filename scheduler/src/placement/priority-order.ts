import type { PlacementRequest } from './placement-request';

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

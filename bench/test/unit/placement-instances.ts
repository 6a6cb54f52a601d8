import fc from 'fast-check';
import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import { CapacityIndex, GreedyPlacement, canRun } from '@wlm/scheduler';
import type { PlacementRequest } from '@wlm/scheduler';
import { placeGreedily } from '../../batch-placement';
import type { BatchPlacement } from '../../batch-placement';
import { worker } from '../../../scheduler/test/unit/placement/instances';

export { worker };

/** Test helpers of the batch placement tests: small random clusters and bursts, and a brute-force optimum. */

const TYPES = ['a', 'b', 'c'];
const VERSIONS = ['1.0.0', '1.5.0', '2.0.0'];
const SITES = ['x', 'y'];

export const arbitraryWorkers = (maxWorkers: number): fc.Arbitrary<WorkerAdvertisement[]> =>
  fc
    .array(
      fc.record({
        taskTypes: fc.dictionary(fc.constantFrom(...TYPES), fc.constantFrom(...VERSIONS), { maxKeys: 3 }),
        slots: fc.integer({ min: 1, max: 3 }),
        busy: fc.integer({ min: 0, max: 3 }),
        site: fc.constantFrom(...SITES),
      }),
      { minLength: 1, maxLength: maxWorkers },
    )
    .map((specs) =>
      specs.map((spec, i) =>
        worker(`w${i}`, spec.taskTypes, Math.max(0, spec.slots - spec.busy), { site: spec.site }, spec.slots),
      ),
    );

export const arbitraryRequests = (maxRequests: number): fc.Arbitrary<PlacementRequest[]> =>
  fc.array(
    fc.record({
      taskType: fc.constantFrom(...TYPES),
      priority: fc.integer({ min: 0, max: 2 }),
      constraints: fc.record(
        {
          labels: fc.option(fc.record({ site: fc.constantFrom(...SITES) }), { nil: undefined }),
          minPluginVersion: fc.option(fc.constantFrom(...VERSIONS), { nil: undefined }),
        },
        { requiredKeys: [] },
      ),
    }),
    { maxLength: maxRequests },
  );

/** Greedy placement of a burst over fresh copies of `workers`. */
export function greedy<R extends PlacementRequest>(
  requests: readonly R[],
  workers: readonly WorkerAdvertisement[],
) {
  const index = new CapacityIndex();
  for (const w of workers) index.upsert(w);
  return placeGreedily(new GreedyPlacement(index), requests);
}

/** Throws unless every assignment is to a capable worker within its free slots and each request appears once. */
export function expectValid<R extends PlacementRequest>(
  result: BatchPlacement<R>,
  requests: readonly R[],
  workers: readonly WorkerAdvertisement[],
): void {
  const byId = new Map(workers.map((w) => [w.workerId, w]));
  const used = new Map<string, number>();
  for (const { request, requestIndex, workerId } of result.assignments) {
    const w = byId.get(workerId);
    expect(w).toBeDefined();
    expect(requests[requestIndex]).toBe(request);
    expect(canRun(w as WorkerAdvertisement, request)).toBe(true);
    used.set(workerId, (used.get(workerId) ?? 0) + 1);
  }
  for (const [workerId, count] of used) expect(count).toBeLessThanOrEqual(byId.get(workerId)?.freeSlots ?? 0);
  expect(result.assignments.length + result.unplaced.length).toBe(requests.length);
  expect(new Set(result.assignments.map((a) => a.requestIndex)).size).toBe(result.assignments.length);
}

/** Placed requests per priority, highest priority first: the vector batch placement maximises lexicographically. */
export function placedPerPriority(
  placedPriorities: readonly number[],
  priorities: readonly number[],
): number[] {
  return priorities.map((p) => placedPriorities.filter((q) => q === p).length);
}

/** The lexicographically best {@link placedPerPriority} vector over every possible assignment. */
export function bruteForceBest(
  requests: readonly PlacementRequest[],
  workers: readonly WorkerAdvertisement[],
): number[] {
  const priorities = [...new Set(requests.map((r) => r.priority ?? 0))].sort((a, b) => b - a);
  const free = workers.map((w) => w.freeSlots);
  let best = priorities.map(() => 0);
  const placed: number[] = [];
  const visit = (r: number): void => {
    if (r === requests.length) {
      const vector = placedPerPriority(placed, priorities);
      if (compareVectors(vector, best) > 0) best = vector;
      return;
    }
    const request = requests[r] as PlacementRequest;
    visit(r + 1);
    workers.forEach((w, i) => {
      if ((free[i] as number) === 0 || !canRun(w, request)) return;
      free[i] = (free[i] as number) - 1;
      placed.push(request.priority ?? 0);
      visit(r + 1);
      placed.pop();
      free[i] = (free[i] as number) + 1;
    });
  };
  visit(0);
  return best;
}

function compareVectors(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i += 1) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

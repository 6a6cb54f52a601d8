import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import type { CapacityIndex } from './capacity-index';
import { canRun } from './constraints';
import type { PlacementRequest } from './placement-request';

export interface GreedyPlacementOptions {
  /**
   * When every worker able to run a request is excluded (e.g. a retry whose only capable worker is
   * the one that failed), place it on an excluded worker rather than hold it forever. Default true.
   * It never applies while a non-excluded capable worker exists, even a busy one: then the request
   * waits for that worker's capacity, so a retry does land on a different worker.
   */
  fallbackToExcluded?: boolean;
}

const NO_EXCLUSIONS: ReadonlySet<string> = new Set();

/**
 * Places one request at a time on the best capable worker of a {@link CapacityIndex} (most free
 * slots; among equals, round-robin). It looks at workers best first and stops at the first capable
 * one, so a request costs O(1) plus one step per better-ranked worker that fails the request's
 * constraints or is excluded — not one per worker in the cluster.
 */
export class GreedyPlacement {
  private readonly fallbackToExcluded: boolean;

  constructor(
    private readonly index: CapacityIndex,
    options: GreedyPlacementOptions = {},
  ) {
    this.fallbackToExcluded = options.fallbackToExcluded ?? true;
  }

  /**
   * Picks a worker for `request` and reserves one of its slots in the index (release it with
   * `index.release` if the assignment cannot be sent).
   *
   * @param exclude workers to avoid, e.g. those on which earlier attempts of the task failed.
   * @returns the chosen worker, or undefined when no capable worker has a free slot now — hold the
   *   request until capacity appears.
   * @throws MessageValidationError when the request's `minPluginVersion` is not a semantic version.
   */
  place(
    request: PlacementRequest,
    exclude: ReadonlySet<string> = NO_EXCLUSIONS,
  ): WorkerAdvertisement | undefined {
    const chosen = this.select(request, exclude);
    if (chosen !== undefined) this.index.reserve(chosen.workerId);
    return chosen;
  }

  private select(request: PlacementRequest, exclude: ReadonlySet<string>): WorkerAdvertisement | undefined {
    // Most requests take the top worker: answer those without starting an ordered walk.
    const best = this.index.best(request.taskType);
    if (best === undefined) return undefined;
    if (!exclude.has(best.advertisement.workerId) && canRun(best.advertisement, request)) {
      return best.freeSlots > 0 ? best.advertisement : undefined;
    }
    let bestExcluded: WorkerAdvertisement | undefined;
    for (const worker of this.index.candidates(request.taskType)) {
      const ad = worker.advertisement;
      if (!canRun(ad, request)) continue;
      if (exclude.has(ad.workerId)) {
        if (worker.freeSlots > 0) bestExcluded ??= ad;
        continue;
      }
      // Candidates come most free slots first: if the best non-excluded one is busy, all of them are.
      return worker.freeSlots > 0 ? ad : undefined;
    }
    return this.fallbackToExcluded ? bestExcluded : undefined;
  }
}

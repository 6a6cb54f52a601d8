/**
 * Placement: which live worker runs a task. Pure logic over worker advertisements — no I/O.
 *
 * @example
 * ```ts
 * const index = new CapacityIndex();
 * index.upsert(decodeAdvertisementTags(member.Tags)!);       // on every Serf member event
 * const placement = new GreedyPlacement(index);
 * const worker = placement.place(request, new Set(failedOn)); // undefined: hold until capacity appears
 * ```
 */
export { CapacityIndex } from './capacity-index';
export type { IndexedWorker } from './capacity-index';
export { canRun } from './constraints';
export { GreedyPlacement } from './greedy-placement';
export type { GreedyPlacementOptions } from './greedy-placement';
export type { PlacementConstraints, PlacementRequest } from './placement-request';

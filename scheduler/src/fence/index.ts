export { PlacementFence, placementsWhere } from './placement-fence';
export type { ClaimOutcome, PlacementClaim, PlacementFenceOptions, PlacementKey } from './placement-fence';

export { RecentMap, RecentSet } from './recent-map';
export type { RecencyBounds } from './recent-map';

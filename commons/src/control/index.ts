export { RecentCancels, cancelApplies } from './recent-cancels';
export type { CancellableTask } from './recent-cancels';

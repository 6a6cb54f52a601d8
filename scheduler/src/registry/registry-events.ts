import type { WorkerView } from './worker-view';

/**
 * How a worker's loss was noticed: `serf` from the membership (stream or poll), `startup` when the
 * registry found it already failed on its first read of the membership, `broker` when its queue lost
 * its consumer while Serf still called it alive.
 */
export type WorkerLossSource = 'serf' | 'startup' | 'broker';

export interface WorkerFailedInfo {
  readonly source: WorkerLossSource;
  readonly at: Date;
}

export interface WorkerRecoveredInfo {
  /** When the registry marked it failed. */
  readonly failedAt: Date;
  readonly at: Date;
}

/** Typed events of a {@link WorkerRegistry}. */
export interface WorkerRegistryEvents {
  /** A worker became alive (new, or back after a graceful leave). */
  'worker:joined': [worker: WorkerView];
  /** An alive worker changed its advertisement. */
  'worker:updated': [worker: WorkerView];
  /** A worker failed: its queue needs draining and the admin a mail. */
  'worker:failed': [worker: WorkerView, info: WorkerFailedInfo];
  /** A worker left gracefully (or was reaped): its queue needs draining, nobody needs a mail. */
  'worker:left': [worker: WorkerView];
  /** Serf says alive, but nobody consumes the worker's queue: it gets no new work meanwhile. */
  'worker:unreachable': [worker: WorkerView];
  /** An unreachable worker consumes its queue again. */
  'worker:reachable': [worker: WorkerView];
  /** A failed worker is alive again. */
  'worker:recovered': [worker: WorkerView, info: WorkerRecoveredInfo];
  /** Free capacity may have grown: requests held for capacity may fit now. */
  capacity: [];
}

import type { Experiment } from './records';

/** What changed since a point in time, for the API's change feed (`GET /api/stream`). */
export interface Changes {
  experiments: Experiment[];
  /** Experiments some task run or task report of changed, with the latest such change. */
  tasks: { experimentId: string; at: Date }[];
  /** The latest change of the namespace's worker directory; null when it has none. */
  workersAt: Date | null;
  /** The database's clock when it looked: where the next look starts. */
  now: Date;
}

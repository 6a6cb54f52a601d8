import type { ExperimentState } from './experiment-state';
import type { JsonObject } from './json';
import type { TaskState } from './task-state';

/** One experiment as stored. Nullable fields are `null` (not absent) so API responses keep every key. */
export interface Experiment {
  id: string;
  /** Experiment type, i.e. the name of its master DAG. */
  type: string;
  /** The master-DAG version this experiment pinned when it was created. */
  dagVersion: number;
  state: ExperimentState;
  priority: number;
  inputs: JsonObject;
  idempotencyKey: string | null;
  /** 1 for the first run; a rerun increments it so every run keeps its own task runs. */
  run: number;
  failureReason: string | null;
  createdAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  updatedAt: Date;
}

/** One attempt of one task in one run of an experiment. */
export interface TaskRun {
  experimentId: string;
  run: number;
  taskId: string;
  attempt: number;
  workerId: string | null;
  state: TaskState;
  reason: string | null;
  outputs: JsonObject | null;
  startedAt: Date | null;
  endedAt: Date | null;
  updatedAt: Date;
}

/** Audit event types wlm writes. */
export const AUDIT_EVENT_TYPES = [
  'experiment.created',
  'experiment.transitioned',
  'experiment.rerun',
  'experiment.cancel-requested',
  'task.dispatched',
  'task.transitioned',
  'task.retried',
  /** A round of a task that runs in rounds ended with a checkpoint: what the task waits for. */
  'task.waiting',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/**
 * One entry of the append-only audit trail. `type` is read back as a plain string: a newer
 * orchestrator sharing the database may have written types this one does not know, and the trail must
 * still display.
 */
export interface AuditEvent {
  /** Increases with insertion; gaps are normal. Orders a page, but is not a change feed (see docs). */
  id: number;
  experimentId: string;
  taskId: string | null;
  type: string;
  fromState: string | null;
  toState: string | null;
  /** Who or what acted: an API token name, `engine`, `scheduler`. */
  actor: string;
  reason: string | null;
  details: JsonObject | null;
  at: Date;
}

/** An entry of the running registry: an experiment the engine must drive (and resume after a crash). */
export interface RunningExperiment {
  experimentId: string;
  since: Date;
}

/** The current holder of a leadership lock, as recorded by the winner of the last election. */
export interface LeaderRecord {
  name: string;
  /** Increases by one with every election: a fencing token for writes that must come from the leader. */
  term: number;
  holder: string;
  electedAt: Date;
  /** False when the recorded holder no longer holds the lock (it died and nobody has won since). */
  alive: boolean;
}

/** One page of a listing; pass `nextCursor` back to get the next page, `null` means no more. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

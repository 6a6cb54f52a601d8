import type { ExperimentState } from './experiment-state';
import type { JsonObject } from './json';
import type {
  AuditEvent,
  AuditEventType,
  Experiment,
  LeaderRecord,
  Page,
  RunningExperiment,
  TaskRun,
} from './records';
import type { WorkerEntry, WorkerIncidentEntry } from '@wlm/commons/api';
import type { Changes } from './changes';
import type { TaskReport, TaskReportUpdate } from './task-report';
import type { TaskState } from './task-state';

/**
 * What a task waits for: a task that runs in rounds, what it said when its latest round ended
 * (`round`); a task no worker has taken yet, what the scheduler said (`worker`).
 */
export interface TaskWait {
  taskId: string;
  attempt: number;
  kind: 'round' | 'worker';
  /** e.g. `SLURM job 42: PENDING (Priority)`, or `waiting for a worker that runs gpu-sim`. */
  message: string;
  at: Date;
}

/** What the API asks for when a user submits an experiment. */
export interface NewExperiment {
  /** Defaults to a random UUID. Give one when the id must exist before the row (e.g. for Neo4j). */
  id?: string | undefined;
  type: string;
  dagVersion: number;
  priority: number;
  inputs: JsonObject;
  /** A retried submission with the same key returns the first experiment instead of a second one. */
  idempotencyKey?: string | undefined;
  actor: string;
}

export interface CreateExperimentResult {
  experiment: Experiment;
  /** False when an experiment with the same idempotency key (or id) already existed. */
  created: boolean;
}

/** What creating one experiment of many came to: the experiment, or why not (a key reused differently). */
export type CreateOutcome = { ok: true; result: CreateExperimentResult } | { ok: false; error: Error };

/** Who changes an experiment and why; recorded in the audit trail. */
export interface ChangeAttribution {
  actor: string;
  reason?: string | undefined;
  details?: JsonObject | undefined;
}

export interface RerunRequest extends ChangeAttribution {
  /**
   * The run the caller saw as finished. When given, the rerun happens only from that run, and a
   * repeated request (the rerun already done) reports success instead of starting yet another run.
   */
  expectedRun?: number | undefined;
}

export interface TransitionResult {
  /** True when this call changed the state (and wrote the audit event). */
  changed: boolean;
  /**
   * The experiment after the call, `undefined` when it does not exist. When `changed` is false but
   * `experiment.state` is the wanted state, someone else — or an earlier attempt of this call whose
   * commit acknowledgement was lost — made the change: make follow-up effects idempotent.
   */
  experiment: Experiment | undefined;
}

/** A task-run event to record; fields left out keep their recorded values. */
export interface TaskRunUpdate {
  experimentId: string;
  run: number;
  taskId: string;
  attempt: number;
  state: TaskState;
  workerId?: string | undefined;
  reason?: string | undefined;
  outputs?: JsonObject | undefined;
  /** Defaults to the database clock when `state` is RUNNING. */
  startedAt?: Date | undefined;
  /** Defaults to the database clock when `state` is terminal. */
  endedAt?: Date | undefined;
}

export interface AuditEventInput {
  experimentId: string;
  taskId?: string | undefined;
  type: AuditEventType;
  fromState?: string | undefined;
  toState?: string | undefined;
  actor: string;
  reason?: string | undefined;
  details?: JsonObject | undefined;
  /** Defaults to the database clock. */
  at?: Date | undefined;
  /**
   * Makes the append idempotent: a second event with the same key is dropped. Derive it from what
   * identifies the fact, e.g. `task:<experiment>:<run>:<task>:<attempt>:<state>`.
   */
  dedupeKey?: string | undefined;
}

/** Task events written in one transaction: the unit of throughput of the engine. */
export interface TaskRunBatch {
  taskRuns?: readonly TaskRunUpdate[] | undefined;
  auditEvents?: readonly AuditEventInput[] | undefined;
  /** Progress and log tails: the latest of each attempt is kept (idempotent, order-insensitive). */
  reports?: readonly TaskReportUpdate[] | undefined;
}

export interface ListExperimentsQuery {
  state?: ExperimentState | undefined;
  type?: string | undefined;
  /** Text the id, the type or the failure reason contains (case-insensitive). */
  text?: string | undefined;
  /** 1–1000, default 50. */
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface PageQuery {
  /** 1–1000, default 100. */
  limit?: number | undefined;
  cursor?: string | undefined;
}

/**
 * Experiment state, task runs, audit trail and running registry: everything the orchestrator keeps in
 * the relational store. Every write is idempotent, so at-least-once delivery and retries are harmless.
 */
export interface StateStore {
  createExperiment(input: NewExperiment): Promise<CreateExperimentResult>;
  /** Many in one transaction; one outcome per input, in order (an item's failure is its own). */
  createExperiments(inputs: readonly NewExperiment[]): Promise<CreateOutcome[]>;
  getExperiment(id: string): Promise<Experiment | undefined>;
  /** Many by id in one query; unknown ids are absent. */
  getExperiments(ids: readonly string[]): Promise<Map<string, Experiment>>;
  listExperiments(query?: ListExperimentsQuery): Promise<Page<Experiment>>;
  countExperimentsByState(): Promise<Record<ExperimentState, number>>;
  transitionExperiment(
    id: string,
    from: readonly ExperimentState[],
    to: ExperimentState,
    change: ChangeAttribution,
  ): Promise<TransitionResult>;
  /** {@link transitionExperiment} of many in one transaction; the result of each by id. */
  transitionExperiments(
    ids: readonly string[],
    from: readonly ExperimentState[],
    to: ExperimentState,
    change: ChangeAttribution,
  ): Promise<Map<string, TransitionResult>>;
  rerunExperiment(id: string, request: RerunRequest): Promise<TransitionResult>;
  recordTaskRuns(batch: TaskRunBatch): Promise<void>;
  listTaskRuns(experimentId: string, options?: { run?: number | undefined }): Promise<TaskRun[]>;
  listAuditEvents(experimentId: string, query?: PageQuery): Promise<Page<AuditEvent>>;
  /** What each task of one run waits for, by its latest `task.waiting` audit entry. */
  latestWaits(experimentId: string, run: number): Promise<TaskWait[]>;
  /** The latest progress of each attempt of one run (log tails left out). */
  listTaskProgress(experimentId: string, run: number): Promise<TaskReport[]>;
  /** One attempt's log tail; the latest attempt that shipped one when `attempt` is not given. */
  getTaskLog(key: {
    experimentId: string;
    run: number;
    taskId: string;
    attempt?: number | undefined;
  }): Promise<TaskReport | undefined>;
  /** What changed since `since` (experiments, their tasks, the workers), for the API's change feed. */
  listChanges(since: Date, namespace: string): Promise<Changes>;
  /** The scheduler's worker directory of an AMQP namespace and its recent incidents. */
  listWorkers(namespace: string): Promise<{ items: WorkerEntry[]; incidents: WorkerIncidentEntry[] }>;
  addRunning(experimentId: string): Promise<void>;
  removeRunning(experimentId: string): Promise<void>;
  listRunning(): Promise<RunningExperiment[]>;
  getLeader(name?: string): Promise<LeaderRecord | undefined>;
  close(): Promise<void>;
}

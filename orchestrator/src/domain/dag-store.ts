import type { DagDefinition, DagTaskConstraints, DagTaskRetry } from '@wlm/commons/dag';
import type { JsonObject } from './json';
import type { TaskState } from './task-state';

/** One stored version of a master DAG: the definition exactly as it was put. */
export interface MasterDag {
  experimentType: string;
  /** 1 for the first put of a type, +1 per put; experiments pin one. */
  version: number;
  definition: DagDefinition;
  createdAt: Date;
}

/** One line of `wlm dag list` / `GET /api/dags`. */
export interface MasterDagSummary {
  experimentType: string;
  latestVersion: number;
  /** How many versions are stored; every one stays readable. */
  versions: number;
  /** The latest version's description, `null` when it has none. */
  description: string | null;
  /** When the latest version was put. */
  updatedAt: Date;
}

/**
 * A concrete DAG node's spec (its `context` property in Neo4j): everything a worker needs to run
 * the task, fixed when the concrete DAG is created — not the plugin's `TaskContext`, which a worker
 * builds from the request this spec becomes. `params` are kept as defined: their
 * `{{tasks.<id>.outputs.<key>}}` templates can only be rendered once the upstream tasks have
 * completed, which is why ready tasks come with their upstream outputs.
 */
export interface NodeSpec {
  params: JsonObject;
  /** The experiment's inputs, for `{{inputs.<name>}}`. */
  inputs: JsonObject;
  retry?: DagTaskRetry;
  timeoutMs?: number;
  /** How long the task may wait for a worker (the request's `queueTimeoutMs`). */
  queueTimeoutMs?: number;
  constraints?: DagTaskConstraints;
}

/** Identifies one node of a concrete DAG: a task in one run of an experiment. */
export interface TaskKey {
  experimentId: string;
  /** The experiment's run (MySQL `experiments.run`): a rerun gets a fresh concrete DAG. */
  run: number;
  taskId: string;
}

export interface InstantiateRequest {
  experimentId: string;
  run: number;
  experimentType: string;
  /** The master-DAG version the experiment pinned (MySQL `experiments.dag_version`). */
  version: number;
  inputs: JsonObject;
}

export interface InstantiateResult {
  /** False when this (experimentId, run) already had its concrete DAG; nothing was written then. */
  created: boolean;
  taskCount: number;
}

/** A run {@link DagStore.instantiateMany} instantiated (or found), with what it can run first. */
export interface InstantiatedRun extends InstantiateResult {
  /** Its ready tasks ({@link DagStore.readyTasks}), read in the transaction that instantiated it. */
  ready: ReadyTask[];
}

/** What instantiating one run of many came to; the runs are independent of each other. */
export type InstantiateOutcome<R = InstantiateResult> = { ok: true; result: R } | { ok: false; error: Error };

/** A COMPLETED event to record: the task is executed and its dependents may become ready. */
export interface TaskCompletion extends TaskKey {
  attempt: number;
  outputs: JsonObject;
}

/**
 * Any other task event. COMPLETED is not accepted here: it goes through `markExecuted`, which sets
 * `isExecuted` with it, so that the two never disagree.
 */
export interface TaskStateChange extends TaskKey {
  state: Exclude<TaskState, 'COMPLETED'>;
  attempt: number;
}

/** What {@link DagStore.recordTaskEvents} did and found. */
export interface RecordedTaskEvents {
  /** Nodes this call executed (for audit: a retried commit may return none). */
  executed: TaskKey[];
  /** Nodes whose state this call changed. */
  changed: TaskKey[];
  /** The dependents of `dependentsOf`'s completions that are ready now. */
  ready: ReadyTask[];
}

/** Tasks of one experiment run that just completed, whose dependents may have become ready. */
export interface RunCompletions {
  experimentId: string;
  run: number;
  completedTaskIds: readonly string[];
}

/**
 * A task that can be dispatched (or, after a crash, re-dispatched). Dispatch attempt: `attempt` when
 * the state is QUEUED or RUNNING (re-dispatching the same attempt is deduplicated by consumers),
 * `attempt + 1` when FAILED or CANCELLED (a resumed experiment), `max(attempt, 1)` when PENDING.
 */
export interface ReadyTask extends TaskKey {
  taskType: string;
  state: TaskState;
  /** The latest attempt recorded on the node; 0 before the first dispatch. */
  attempt: number;
  context: NodeSpec;
  /**
   * Outputs of the direct predecessors and of every other upstream task the params refer to, by
   * task id: pass as `{ tasks: Object.fromEntries(… { outputs }) }` to `renderParams`.
   */
  upstreamOutputs: Record<string, JsonObject>;
}

/** One node of a concrete DAG as the live view shows it. */
export interface ConcreteTask {
  taskId: string;
  taskType: string;
  state: TaskState;
  isExecuted: boolean;
  attempt: number;
  /** Set once the task is executed. */
  outputs: JsonObject | null;
  context: NodeSpec;
}

/** A whole concrete DAG: `GET /api/experiments/:id`'s live DAG. */
export interface ConcreteDag {
  experimentId: string;
  run: number;
  experimentType: string;
  version: number;
  inputs: JsonObject;
  createdAt: Date;
  /** In task id order. */
  tasks: ConcreteTask[];
  /** `from` must complete before `to` starts; ordered by `from`, then `to`. */
  edges: { from: string; to: string }[];
}

/**
 * The DAGs: versioned master DAGs per experiment type, and one concrete DAG per run of an experiment
 * whose nodes carry the task context and the execution state. Every write is idempotent and state
 * only moves forward, so at-least-once delivery, retries and a second orchestrator are harmless.
 */
export interface DagStore {
  /** Creates the constraints and indexes the queries rely on; idempotent. */
  ensureSchema(): Promise<void>;

  /** Stores `definition` as the next version of its type (validated again first). */
  putMasterDag(definition: DagDefinition): Promise<MasterDag>;
  /** The given version, or the latest; `undefined` when there is none. */
  getMasterDag(experimentType: string, version?: number): Promise<MasterDag | undefined>;
  /** Every experiment type, in name order. */
  listMasterDags(): Promise<MasterDagSummary[]>;

  /** Creates the concrete DAG of one run from a master-DAG version; a repeated call changes nothing. */
  instantiate(request: InstantiateRequest): Promise<InstantiateResult>;
  /**
   * {@link instantiate} for many runs in a few transactions, each run's ready tasks read in the
   * transaction that instantiated it; one outcome per request, in order.
   */
  instantiateMany(requests: readonly InstantiateRequest[]): Promise<InstantiateOutcome<InstantiatedRun>[]>;
  /**
   * Marks tasks executed (COMPLETED, with outputs) in one transaction; returns those this call
   * executed (for audit — a retried commit may return none, so look up dependents of every completion).
   */
  markExecuted(completions: readonly TaskCompletion[]): Promise<TaskKey[]>;
  /** Records task states, forward only, in one transaction; returns the nodes that changed. */
  setTaskStates(changes: readonly TaskStateChange[]): Promise<TaskKey[]>;
  /**
   * A batch of task events in ONE transaction: `markExecuted` of the completions, then
   * `setTaskStates` of the other changes (so a node executed here ignores them), then — when
   * `dependentsOf` is given — {@link readyDependents} of those runs' completions, for the runs of
   * many experiments, reading what this transaction wrote. One round trip instead of three on the
   * engine's hot path; the same rules and return values as the separate calls.
   */
  recordTaskEvents(
    completions: readonly TaskCompletion[],
    changes: readonly TaskStateChange[],
    dependentsOf?: readonly RunCompletions[],
  ): Promise<RecordedTaskEvents>;
  /** Tasks to dispatch now: not executed, not QUEUED or RUNNING, every predecessor executed. */
  readyTasks(experimentId: string, run: number): Promise<ReadyTask[]>;
  /** The dependents of just-completed tasks that became ready: the engine's hot path. */
  readyDependents(
    experimentId: string,
    run: number,
    completedTaskIds: readonly string[],
  ): Promise<ReadyTask[]>;
  /** Where a resumed run continues: like `readyTasks`, but QUEUED and RUNNING tasks are included. */
  firstIncompleteTasks(experimentId: string, run: number): Promise<ReadyTask[]>;
  /** {@link firstIncompleteTasks} of many runs in one query. */
  firstIncompleteTasksOfRuns(runs: readonly { experimentId: string; run: number }[]): Promise<ReadyTask[]>;
  getConcreteDag(experimentId: string, run: number): Promise<ConcreteDag | undefined>;
  /** Deletes every run's concrete DAG of the experiment; returns the number of task nodes deleted. */
  deleteExperiment(experimentId: string): Promise<number>;

  close(): Promise<void>;
}

import { validateDagDefinition } from '@wlm/commons/dag';
import { withRetry } from '@wlm/commons/errors';
import type { DagDefinition } from '@wlm/commons/dag';
import type { RetryOptions } from '@wlm/commons/errors';
import type { Logger } from '@wlm/commons/logging';
import { auth, bookmarkManager, driver as createDriver } from 'neo4j-driver';
import type { BookmarkManager, Driver, ManagedTransaction, Session, SessionConfig } from 'neo4j-driver';
import type {
  ConcreteDag,
  DagStore,
  InstantiateOutcome,
  InstantiateRequest,
  InstantiateResult,
  InstantiatedRun,
  MasterDag,
  MasterDagSummary,
  ReadyTask,
  RecordedTaskEvents,
  RunCompletions,
  TaskCompletion,
  TaskKey,
  TaskStateChange,
} from '../../domain/dag-store';
import {
  createConcreteDags,
  createConcreteDagsWithReadyTasks,
  deleteConcreteDags,
  selectConcreteDag,
} from './concrete-dag-queries';
import { planInstantiation } from './instantiate-plan';
import { StoreDataError } from '../../errors/store-data-error';
import { stateChangeSupersedes, updateExecuted, updateTaskStates } from './execution-queries';
import {
  checkCompletion,
  checkInstantiateRequest,
  checkInteger,
  checkRun,
  checkStateChange,
  checkText,
  dedupeByKey,
} from './input-checks';
import { insertMasterDag, selectMasterDag, selectMasterDagSummaries } from './master-dag-queries';
import { selectReadyDependents, selectReadyTasks } from './ready-queries';
import { withDeadline } from '../deadline';
import { applySchema } from './schema';
import { neo4jDriverTarget, neo4jTlsRefusal } from './driver-target';
import { StoreLifecycle } from '../store-lifecycle';

export interface Neo4jDagStoreOptions {
  /** `neo4j.url` of the config, e.g. `bolt://127.0.0.1:7687`. */
  url: string;
  /** `neo4j.caFile`: PEM file of the CA that signed the server's certificate, for `+s` URLs. */
  caFile?: string | undefined;
  user: string;
  password: string;
  logger: Logger;
  /** Default `neo4j`, the one user database of Neo4j Community. */
  database?: string;
  /** Default 50 connections. */
  maxConnectionPoolSize?: number;
  /** How long a managed transaction retries transient errors (deadlocks, leader changes). Default 30 s. */
  maxTransactionRetryTimeMs?: number;
  /** Backoff while the server is unreachable at start. Default: 8 attempts, 100 ms → 10 s. */
  retry?: Pick<RetryOptions, 'maxAttempts' | 'initialDelayMs' | 'maxDelayMs'>;
  /** How long `ensureSchema` waits for new indexes to come online. Default 300 s. */
  indexWaitSeconds?: number;
  /**
   * Longest a store call may take, the driver's retries included (`neo4j.timeoutMs`); past it the
   * call fails with a retryable `STORE_TIMEOUT` error. Also the server-side limit of each
   * transaction. Default 10 s.
   */
  timeoutMs?: number;
}

/**
 * Nodes one `instantiateMany` transaction creates at most (a single larger DAG goes alone): a few
 * thousand MERGEs commit in well under a second, far inside the store's deadline.
 */
const TASKS_PER_INSTANTIATE = 4000;
/** Versions whose sizes are remembered; past that, or when one cannot be read, {@link UNKNOWN_SIZE}. */
const MAX_VERSION_SIZES = 10_000;
const UNKNOWN_SIZE = 100;

/** Another put took the version this one computed; a fresh transaction computes the next one. */
function isVersionConflict(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    error.code === 'Neo.ClientError.Schema.ConstraintValidationFailed'
  );
}

/**
 * The DAG store on Neo4j: versioned master DAGs and one concrete DAG per experiment run, whose nodes
 * carry each task's context and execution state. See docs/data-model-neo4j.md.
 *
 * @example
 * ```ts
 * const dags = await Neo4jDagStore.open({ ...config.neo4j, logger }); // creates constraints and indexes
 * const master = await dags.putMasterDag(parseDagDefinition(yamlText));
 * await dags.instantiate({ experimentId, run: 1, experimentType: master.experimentType,
 *   version: master.version, inputs });
 * for (const task of await dags.readyTasks(experimentId, 1)) dispatch(task);
 * await dags.markExecuted(completions);                                // one transaction per batch
 * const completed = completions.map((completion) => completion.taskId); // all of them, not only new ones
 * for (const task of await dags.readyDependents(experimentId, 1, completed)) dispatch(task);
 * await dags.close();
 * ```
 */
export class Neo4jDagStore implements DagStore {
  private readonly lifecycle: StoreLifecycle;
  /**
   * Shared by every session of the store, so a read always sees the writes this store committed
   * before it — free on one server, and what keeps `markExecuted` → `readyDependents` right on a
   * cluster, where a read may go to a follower that has not caught up yet.
   */
  private readonly bookmarks: BookmarkManager = bookmarkManager();
  /** Task count per `type@version`, for {@link instantiateMany}'s transaction sizes. */
  private readonly versionSizes = new Map<string, number>();

  private constructor(
    private readonly driver: Driver,
    /** The database this store works in. */
    readonly database: string,
    private readonly logger: Logger,
    private readonly indexWaitSeconds: number,
    private readonly timeoutMs: number,
  ) {
    this.lifecycle = new StoreLifecycle('the Neo4j DAG store', () => driver.close(), logger);
  }

  /** Connects (retrying while the server is unreachable) and ensures the schema before returning. */
  static async open(options: Neo4jDagStoreOptions): Promise<Neo4jDagStore> {
    const database = options.database ?? 'neo4j';
    const logger = options.logger.child({ module: 'neo4j-dag-store', database });
    const timeoutMs = options.timeoutMs ?? 10_000;
    const target = neo4jDriverTarget(options.url, options.caFile);
    const driver = createDriver(target.url, auth.basic(options.user, options.password), {
      ...target.encryption,
      maxConnectionPoolSize: options.maxConnectionPoolSize ?? 50,
      connectionAcquisitionTimeout: timeoutMs,
      connectionTimeout: timeoutMs,
      maxTransactionRetryTime: options.maxTransactionRetryTimeMs ?? 30_000,
      userAgent: 'wlm-orchestrator',
      logging: {
        level: 'warn',
        logger: (level, message) => logger[level]({ source: 'neo4j-driver' }, message),
      },
    });
    const store = new Neo4jDagStore(driver, database, logger, options.indexWaitSeconds ?? 300, timeoutMs);
    try {
      const connect = async (): Promise<void> => {
        try {
          await driver.verifyConnectivity({ database });
        } catch (error) {
          // A refused certificate stays refused: fail at once, naming what to fix, rather than retry.
          throw (await neo4jTlsRefusal(options.url, target.caPem)) ?? error;
        }
      };
      await withRetry(connect, {
        ...options.retry,
        onRetry: (error, attempt) => logger.warn({ err: error, attempt }, 'Neo4j is not reachable; retrying'),
      });
      await store.ensureSchema();
      return store;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /** Creates the constraints and indexes (docs/data-model-neo4j.md); a no-op when they exist. */
  async ensureSchema(): Promise<void> {
    this.ensureOpen();
    const session = this.driver.session(this.sessionConfig('WRITE'));
    try {
      await applySchema(session, this.indexWaitSeconds);
    } finally {
      await session.close();
    }
  }

  /**
   * Stores `definition` as version latest + 1 of its type. Concurrent puts of one type get distinct
   * versions: the uniqueness constraint on (experimentType, version) rejects the second to claim a
   * number, and its transaction is run again to claim the next.
   *
   * @throws DagValidationError when the definition does not validate (it is checked again here).
   */
  async putMasterDag(definition: DagDefinition): Promise<MasterDag> {
    const valid = validateDagDefinition(definition);
    this.ensureOpen();
    return withRetry(() => this.write('putMasterDag', (tx) => insertMasterDag(tx, valid)), {
      isRetryable: isVersionConflict,
      maxAttempts: 20,
      initialDelayMs: 5,
      maxDelayMs: 200,
      onRetry: (_error, attempt) =>
        this.logger.debug({ experimentType: valid.type, attempt }, 'master DAG version taken; retrying'),
    });
  }

  async getMasterDag(experimentType: string, version?: number): Promise<MasterDag | undefined> {
    checkText('experimentType', experimentType);
    if (version !== undefined) checkInteger('version', version, 1);
    return this.read('getMasterDag', (tx) => selectMasterDag(tx, experimentType, version));
  }

  async listMasterDags(): Promise<MasterDagSummary[]> {
    return this.read('listMasterDags', (tx) => selectMasterDagSummaries(tx));
  }

  /**
   * Creates the `:Task` nodes and `[:NEXT]` edges of one run, each node holding its full context,
   * not executed, PENDING, attempt 0 — all in one transaction. Calling it again for the same run
   * changes nothing and reports `created: false`.
   *
   * @throws StoreInputError when the master-DAG version does not exist.
   * @throws ExperimentConflictError when the run exists with another type, version or inputs.
   */
  async instantiate(request: InstantiateRequest): Promise<InstantiateResult> {
    checkInstantiateRequest(request);
    const [outcome] = await this.write('instantiate', (tx) => createConcreteDags(tx, [request]));
    if (outcome === undefined) throw new StoreDataError('ConcreteDag', 'experimentId', 'no outcome');
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  }

  /**
   * {@link instantiate} for many runs, a few statements per transaction whatever their number: runs
   * go in transactions of about {@link TASKS_PER_INSTANTIATE} nodes, so one stays well inside the
   * store's deadline. Each transaction also reads its runs' ready tasks, which starting them needs
   * next: one round trip and one transaction fewer per group of submissions. One outcome per
   * request, in order: an invalid request, a missing version, a conflicting run or a transaction that
   * failed fails its own runs only. A run given twice is instantiated once and answered twice.
   */
  async instantiateMany(
    requests: readonly InstantiateRequest[],
  ): Promise<InstantiateOutcome<InstantiatedRun>[]> {
    const sizes = await this.taskCounts(requests);
    const plan = planInstantiation(
      requests,
      (request) => sizes.get(`${request.experimentType}@${request.version}`) ?? UNKNOWN_SIZE,
      TASKS_PER_INSTANTIATE,
    );
    const outcomes = new Array<InstantiateOutcome<InstantiatedRun>>(requests.length);
    for (const [index, error] of plan.invalid) outcomes[index] = { ok: false, error };
    for (const chunk of plan.chunks) {
      try {
        const results = await this.write('instantiateMany', (tx) =>
          createConcreteDagsWithReadyTasks(
            tx,
            chunk.map(({ request }) => request),
          ),
        );
        chunk.forEach(
          ({ index }, i) => (outcomes[index] = results[i] as InstantiateOutcome<InstantiatedRun>),
        );
      } catch (error) {
        for (const { index } of chunk) outcomes[index] = { ok: false, error: error as Error };
      }
    }
    for (const [index, first] of plan.repeats)
      outcomes[index] = outcomes[first] as InstantiateOutcome<InstantiatedRun>;
    return outcomes;
  }

  /**
   * Marks tasks executed (state COMPLETED, outputs stored) — many in ONE transaction, the unit of
   * throughput. Idempotent: an executed node never changes again, so within a batch and across
   * batches the first completion of a task wins. Unknown tasks are ignored.
   *
   * Returns the keys this call executed, for audit and metrics. Do not use it to decide which
   * dependents to look up: after a commit whose acknowledgement was lost, the driver's retry finds
   * everything executed and returns nothing — ask `readyDependents` for every completion instead.
   */
  async markExecuted(completions: readonly TaskCompletion[]): Promise<TaskKey[]> {
    completions.forEach((completion, index) => checkCompletion(`completions[${index}]`, completion));
    const unique = dedupeByKey(completions, () => false);
    if (unique.length === 0) return [];
    return this.write('markExecuted', (tx) => updateExecuted(tx, unique));
  }

  /**
   * Records QUEUED / RUNNING / FAILED / CANCELLED (and PENDING) events in one transaction, forward
   * only: a higher attempt replaces a lower one, within an attempt only a higher TASK_STATE_RANK
   * replaces a lower one, and an executed node never changes. Returns the keys that changed.
   */
  async setTaskStates(changes: readonly TaskStateChange[]): Promise<TaskKey[]> {
    changes.forEach((change, index) => checkStateChange(`changes[${index}]`, change));
    const folded = dedupeByKey(changes, stateChangeSupersedes);
    if (folded.length === 0) return [];
    return this.write('setTaskStates', (tx) => updateTaskStates(tx, folded));
  }

  async recordTaskEvents(
    completions: readonly TaskCompletion[],
    changes: readonly TaskStateChange[],
    dependentsOf: readonly RunCompletions[] = [],
  ): Promise<RecordedTaskEvents> {
    completions.forEach((completion, index) => checkCompletion(`completions[${index}]`, completion));
    changes.forEach((change, index) => checkStateChange(`changes[${index}]`, change));
    const asked = checkedRunCompletions('dependentsOf', dependentsOf);
    const unique = dedupeByKey(completions, () => false);
    const folded = dedupeByKey(changes, stateChangeSupersedes);
    if (unique.length === 0 && folded.length === 0 && asked.length === 0)
      return { executed: [], changed: [], ready: [] };
    return this.write('recordTaskEvents', async (tx) => ({
      // Completions first: a node they execute ignores any state change that follows.
      executed: unique.length === 0 ? [] : await updateExecuted(tx, unique),
      changed: folded.length === 0 ? [] : await updateTaskStates(tx, folded),
      // Last, so that it sees this batch's completions and states.
      ready: asked.length === 0 ? [] : await selectReadyDependents(tx, asked),
    }));
  }

  /** Nodes per master-DAG version of the requests, to size transactions; versions never change. */
  private async taskCounts(requests: readonly InstantiateRequest[]): Promise<Map<string, number>> {
    for (const { experimentType, version } of requests) {
      const key = `${experimentType}@${version}`;
      if (this.versionSizes.has(key) || this.versionSizes.size >= MAX_VERSION_SIZES) continue;
      const master = await this.getMasterDag(experimentType, version).catch(() => undefined);
      if (master !== undefined) this.versionSizes.set(key, master.definition.tasks.length);
    }
    return this.versionSizes;
  }

  async readyTasks(experimentId: string, run: number): Promise<ReadyTask[]> {
    checkRun('', experimentId, run);
    return this.read('readyTasks', (tx) => selectReadyTasks(tx, [{ experimentId, run }], false));
  }

  async readyDependents(
    experimentId: string,
    run: number,
    completedTaskIds: readonly string[],
  ): Promise<ReadyTask[]> {
    checkRun('', experimentId, run);
    completedTaskIds.forEach((taskId, index) => checkText(`completedTaskIds[${index}]`, taskId));
    if (completedTaskIds.length === 0) return [];
    return this.read('readyDependents', (tx) =>
      selectReadyDependents(tx, [{ experimentId, run, completedTaskIds }]),
    );
  }

  /**
   * Where a run resumes after a crash: every unexecuted task whose predecessors are all executed,
   * including QUEUED and RUNNING ones — their requests may never have left. Re-dispatch them with
   * the attempt recorded on the node: if the first request did get out, consumers drop the
   * duplicate, being idempotent on (experimentId, taskId, attempt).
   */
  async firstIncompleteTasks(experimentId: string, run: number): Promise<ReadyTask[]> {
    checkRun('', experimentId, run);
    return this.read('firstIncompleteTasks', (tx) => selectReadyTasks(tx, [{ experimentId, run }], true));
  }

  async firstIncompleteTasksOfRuns(
    runs: readonly { experimentId: string; run: number }[],
  ): Promise<ReadyTask[]> {
    runs.forEach((r, index) => checkRun(`runs[${index}]`, r.experimentId, r.run));
    if (runs.length === 0) return [];
    return this.read('firstIncompleteTasksOfRuns', (tx) => selectReadyTasks(tx, runs, true));
  }

  async getConcreteDag(experimentId: string, run: number): Promise<ConcreteDag | undefined> {
    checkRun('', experimentId, run);
    return this.read('getConcreteDag', (tx) => selectConcreteDag(tx, experimentId, run));
  }

  /** Deletes every run's concrete DAG of an experiment; returns the number of task nodes deleted. */
  async deleteExperiment(experimentId: string): Promise<number> {
    checkText('experimentId', experimentId);
    return this.write('deleteExperiment', (tx) => deleteConcreteDags(tx, experimentId));
  }

  /** Closes the driver and its connections. Idempotent; call after the engine has stopped. */
  close(): Promise<void> {
    return this.lifecycle.close();
  }

  private sessionConfig(mode: 'READ' | 'WRITE'): SessionConfig {
    return { database: this.database, defaultAccessMode: mode, bookmarkManager: this.bookmarks };
  }

  private ensureOpen(): void {
    this.lifecycle.ensureOpen();
  }

  /**
   * A managed read transaction: the driver retries it on transient errors and lost connections,
   * within the call's deadline. See {@link run}.
   */
  private read<T>(operation: string, work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    return this.run(operation, 'READ', (session) => session.executeRead(work, this.transactionConfig()));
  }

  /**
   * A managed write transaction, retried whole by the driver on transient errors (deadlocks
   * included) within the call's deadline. Safe because every write of the store is idempotent.
   */
  private write<T>(operation: string, work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    return this.run(operation, 'WRITE', (session) => session.executeWrite(work, this.transactionConfig()));
  }

  /**
   * Runs `call` in a session, bounded by the store's deadline. The driver cannot abandon a command
   * the server does not answer, so on timeout the session is left to close once the server answers
   * or the socket dies; the call itself fails at once with a retryable `STORE_TIMEOUT`.
   */
  private run<T>(
    operation: string,
    mode: 'READ' | 'WRITE',
    call: (session: Session) => Promise<T>,
  ): Promise<T> {
    this.ensureOpen();
    return withDeadline({ store: 'neo4j', operation, timeoutMs: this.timeoutMs }, async () => {
      const session = this.driver.session(this.sessionConfig(mode));
      try {
        return await call(session);
      } finally {
        await session.close();
      }
    });
  }

  /** The server aborts a transaction running longer than the call may take. */
  private transactionConfig(): { timeout: number } {
    return { timeout: this.timeoutMs };
  }
}

/** The runs that name completions, each checked; `field` names the argument in errors. */
function checkedRunCompletions(field: string, runs: readonly RunCompletions[]): RunCompletions[] {
  runs.forEach((r, index) => {
    checkRun(`${field}[${index}]`, r.experimentId, r.run);
    r.completedTaskIds.forEach((taskId, i) => checkText(`${field}[${index}].completedTaskIds[${i}]`, taskId));
  });
  return runs.filter((r) => r.completedTaskIds.length > 0);
}

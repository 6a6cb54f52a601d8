import { parseMysqlUrl } from '@wlm/commons/config';
import { withRetry } from '@wlm/commons/errors';
import type { WorkerEntry, WorkerIncidentEntry } from '@wlm/commons/api';
import type { RetryOptions } from '@wlm/commons/errors';
import type { Logger } from '@wlm/commons/logging';
import type { Pool, PoolConnection } from 'mysql2/promise';
import type { ExperimentState } from '../../domain/experiment-state';
import type {
  AuditEvent,
  Experiment,
  LeaderRecord,
  Page,
  RunningExperiment,
  TaskRun,
} from '../../domain/records';
import type {
  ChangeAttribution,
  CreateExperimentResult,
  CreateOutcome,
  ListExperimentsQuery,
  NewExperiment,
  PageQuery,
  RerunRequest,
  StateStore,
  TaskRunBatch,
  TaskWait,
  TransitionResult,
} from '../../domain/state-store';
import type { Changes } from '../../domain/changes';
import type { TaskReport } from '../../domain/task-report';
import { withDeadline } from '../deadline';
import { insertAuditEvents, selectAuditEvents, selectLatestWaits } from './audit-queries';
import { selectChanges } from './change-queries';
import { createStorePool, ensureDatabase } from './connect';
import {
  decodeAuditCursor,
  decodeExperimentCursor,
  encodeAuditCursor,
  encodeExperimentCursor,
} from './cursor';
import * as lifecycle from './experiment-lifecycle';
import {
  countExperimentsByState,
  experimentRow,
  selectExperiment,
  selectExperiments,
  selectExperimentsIn,
} from './experiment-queries';
import type { ExperimentRow } from './experiment-queries';
import {
  LIMITS,
  checkAuditEvent,
  checkInteger,
  checkNewExperiment,
  checkTransition,
  checkTaskRunUpdate,
  checkText,
  pageLimit,
} from './input-checks';
import { selectLeader } from './leadership-queries';
import { ORCHESTRATOR_ELECTION, leaderLockName, migrationLockName } from './lock-names';
import { MIGRATIONS } from './migrations';
import { runMigrations } from './migrator';
import { onPooledConnection } from './pooled-connection';
import { deleteRunning, insertRunning, selectRunning } from './registry-queries';
import { selectProgress, selectTaskLog, upsertTaskReports } from './task-report-queries';
import { selectTaskRuns, upsertTaskRuns } from './task-run-queries';
import { selectIncidents, selectWorkers } from './worker-directory-queries';
import { inTransaction } from './transaction';
import { StoreLifecycle } from '../store-lifecycle';

export interface MysqlStateStoreOptions {
  /** `mysql.url` of the config, e.g. `mysql://root@127.0.0.1:3306/wlm`; the database is created if missing. */
  url: string;
  logger: Logger;
  /** Pool size. Default 8: NOTES measured ~1,300 small transactions/s on one connection, ~3,000 on 8. */
  connectionLimit?: number;
  /** Backoff for retryable errors (deadlocks, lost connections). Default: 8 attempts, 100 ms → 10 s. */
  retry?: Pick<RetryOptions, 'maxAttempts' | 'initialDelayMs' | 'maxDelayMs'>;
  /** How long to wait for another orchestrator that is migrating the same database. Default 120 s. */
  migrationLockTimeoutSeconds?: number;
  /**
   * Longest a store call may take, retries included (`mysql.timeoutMs`); past it the call fails with
   * a retryable `STORE_TIMEOUT` error and its connection is dropped. Default 10 s.
   */
  timeoutMs?: number;
  /**
   * The server drops a pooled session silent this long, with its open transaction and locks — so an
   * orchestrator cut off mid-transaction cannot block the rows it touched for hours. Default: the
   * server's `wait_timeout`.
   */
  sessionTimeoutSeconds?: number;
}

/**
 * The orchestrator's relational state: experiments, task runs, audit trail, running registry.
 *
 * @example
 * ```ts
 * const store = await MysqlStateStore.open({ url: config.mysql.url, logger });
 * const { experiment } = await store.createExperiment({ type: 'diamond', dagVersion: 3, priority: 5,
 *   inputs: { msg: 'hi' }, idempotencyKey: requestKey, actor: 'api:alice' });
 * await store.transitionExperiment(experiment.id, ['PENDING'], 'RUNNING', { actor: 'engine' });
 * await store.recordTaskRuns({ taskRuns: events.map(toTaskRunUpdate), auditEvents: events.map(toAudit) });
 * await store.close();
 * ```
 */
export class MysqlStateStore implements StateStore {
  private readonly lifecycle: StoreLifecycle;

  private constructor(
    private readonly pool: Pool,
    /** The database this store works in. */
    readonly database: string,
    /** Migration versions this process applied while opening (empty when already up to date). */
    readonly appliedMigrations: readonly number[],
    private readonly logger: Logger,
    private readonly retry: RetryOptions,
    private readonly timeoutMs: number,
  ) {
    this.lifecycle = new StoreLifecycle('the MySQL state store', () => pool.end(), logger);
  }

  /** Connects, creates the database if missing, and migrates the schema before returning. */
  static async open(options: MysqlStateStoreOptions): Promise<MysqlStateStore> {
    const target = parseMysqlUrl(options.url);
    const logger = options.logger.child({ module: 'mysql-state-store', database: target.database });
    const retry: RetryOptions = {
      ...options.retry,
      onRetry: (error, attempt) => logger.warn({ err: error, attempt }, 'MySQL operation failed; retrying'),
    };
    await withRetry(() => ensureDatabase(target, logger), retry);
    const pool = createStorePool(
      target,
      {
        connectionLimit: options.connectionLimit ?? 8,
        waitTimeoutSeconds: options.sessionTimeoutSeconds,
      },
      logger,
    );
    try {
      const applied = await withRetry(
        () =>
          runMigrations(pool, MIGRATIONS, logger, {
            lockName: migrationLockName(target.database),
            ...(options.migrationLockTimeoutSeconds === undefined
              ? {}
              : { lockTimeoutSeconds: options.migrationLockTimeoutSeconds }),
          }),
        retry,
      );
      return new MysqlStateStore(pool, target.database, applied, logger, retry, options.timeoutMs ?? 10_000);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Inserts a PENDING experiment, registers it as running and audits its creation, in one transaction.
   * With an idempotency key already used for the same request, returns that experiment instead.
   *
   * @throws ExperimentConflictError when the key (or the explicit id) belongs to a different request.
   */
  async createExperiment(input: NewExperiment): Promise<CreateExperimentResult> {
    checkNewExperiment(input);
    const row = experimentRow(input);
    return this.write('createExperiment', (db) => lifecycle.createExperiment(db, row, input.actor));
  }

  /**
   * {@link createExperiment} for many in ONE transaction (a few statements, whatever their number).
   * An item that is invalid, or whose key was used for a different request, fails alone.
   */
  async createExperiments(inputs: readonly NewExperiment[]): Promise<CreateOutcome[]> {
    const outcomes: (CreateOutcome | undefined)[] = [];
    const valid: { index: number; row: ExperimentRow; actor: string }[] = [];
    inputs.forEach((input, index) => {
      try {
        checkNewExperiment(input);
        valid.push({ index, row: experimentRow(input), actor: input.actor });
        outcomes.push(undefined);
      } catch (error) {
        outcomes.push({ ok: false, error: error as Error });
      }
    });
    if (valid.length > 0) {
      const created = await this.write('createExperiments', (db) => lifecycle.createExperiments(db, valid));
      valid.forEach(({ index }, i) => (outcomes[index] = created[i]));
    }
    return outcomes as CreateOutcome[];
  }

  async getExperiment(id: string): Promise<Experiment | undefined> {
    return this.single('getExperiment', (db) => selectExperiment(db, { id }));
  }

  /** Many experiments by id in one query; unknown ids are absent from the map. */
  async getExperiments(ids: readonly string[]): Promise<Map<string, Experiment>> {
    if (ids.length === 0) return new Map();
    return this.single('getExperiments', (db) => selectExperimentsIn(db, 'id', ids));
  }

  /** Newest first; filter by state and/or type. */
  async listExperiments(query: ListExperimentsQuery = {}): Promise<Page<Experiment>> {
    const limit = pageLimit(query.limit, 50);
    const after = query.cursor === undefined ? undefined : decodeExperimentCursor(query.cursor);
    const filter = { state: query.state, type: query.type, text: query.text, after };
    // One row more than asked tells whether another page exists without a COUNT.
    const rows = await this.single('listExperiments', (db) => selectExperiments(db, filter, limit + 1));
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor:
        rows.length > limit && last
          ? encodeExperimentCursor({ createdAt: last.createdAt, id: last.id })
          : null,
    };
  }

  /** How many experiments are in each state (every state present), e.g. for metrics. */
  async countExperimentsByState(): Promise<Record<ExperimentState, number>> {
    return this.single('countExperimentsByState', (db) => countExperimentsByState(db));
  }

  /**
   * Moves an experiment to `to` if it is in one of `from`, and in the same transaction writes the audit
   * event and keeps the running registry in step (active states in, terminal states out). Calling it
   * again once it has happened changes nothing and reports `changed: false`.
   *
   * @throws StoreInputError when some `from` → `to` is not an edge of {@link EXPERIMENT_TRANSITIONS}.
   */
  async transitionExperiment(
    id: string,
    from: readonly ExperimentState[],
    to: ExperimentState,
    change: ChangeAttribution,
  ): Promise<TransitionResult> {
    checkText('id', id, LIMITS.experimentId);
    checkTransition(from, to, change);
    return this.write('transitionExperiment', (db) =>
      lifecycle.transitionExperiment(db, id, from, to, change),
    );
  }

  /** {@link transitionExperiment} for many experiments in ONE transaction; the result by id. */
  async transitionExperiments(
    ids: readonly string[],
    from: readonly ExperimentState[],
    to: ExperimentState,
    change: ChangeAttribution,
  ): Promise<Map<string, TransitionResult>> {
    ids.forEach((id, index) => checkText(`ids[${index}]`, id, LIMITS.experimentId));
    checkTransition(from, to, change);
    if (ids.length === 0) return new Map();
    return this.write('transitionExperiments', (db) =>
      lifecycle.transitionExperiments(db, ids, from, to, change),
    );
  }

  /**
   * Starts a new run of a finished experiment: run + 1, back to PENDING, registered again. Task runs of
   * earlier runs stay, keyed by their run. With `expectedRun`, only that run may be rerun, so a repeated
   * request reports `changed: false` with `experiment.run` already past it instead of a third run.
   */
  async rerunExperiment(id: string, request: RerunRequest): Promise<TransitionResult> {
    checkText('id', id, LIMITS.experimentId);
    checkText('actor', request.actor, LIMITS.actor);
    if (request.expectedRun !== undefined) checkInteger('expectedRun', request.expectedRun, 1);
    return this.write('rerunExperiment', (db) => lifecycle.rerunExperiment(db, id, request));
  }

  /**
   * Writes many task-run events, audit events and task reports in ONE transaction — the engine's
   * unit of throughput: a commit, not a table, is what each costs MariaDB. Idempotent on
   * (experiment, run, task, attempt) and forward-only by {@link TASK_STATE_RANK}: duplicates and
   * late, out-of-order events change nothing they should not. The whole batch is checked before
   * anything is written.
   */
  async recordTaskRuns(batch: TaskRunBatch): Promise<void> {
    const taskRuns = batch.taskRuns ?? [];
    const auditEvents = batch.auditEvents ?? [];
    const reports = batch.reports ?? [];
    taskRuns.forEach((update, index) => checkTaskRunUpdate(`taskRuns[${index}]`, update));
    auditEvents.forEach((event, index) => checkAuditEvent(`auditEvents[${index}]`, event));
    if (taskRuns.length === 0 && auditEvents.length === 0 && reports.length === 0) return;
    await this.write('recordTaskRuns', async (db) => {
      await upsertTaskRuns(db, taskRuns);
      await insertAuditEvents(db, auditEvents);
      await upsertTaskReports(db, reports);
    });
  }

  /** Every run of every task of an experiment (or of one run), ordered by run, task, attempt. */
  async listTaskRuns(experimentId: string, options: { run?: number | undefined } = {}): Promise<TaskRun[]> {
    if (options.run !== undefined) checkInteger('run', options.run, 1);
    return this.single('listTaskRuns', (db) => selectTaskRuns(db, experimentId, options.run));
  }

  async listTaskProgress(experimentId: string, run: number): Promise<TaskReport[]> {
    checkInteger('run', run, 1);
    return this.single('listTaskProgress', (db) => selectProgress(db, experimentId, run));
  }

  async getTaskLog(key: Parameters<StateStore['getTaskLog']>[0]): Promise<TaskReport | undefined> {
    checkInteger('run', key.run, 1);
    return this.single('getTaskLog', (db) => selectTaskLog(db, key));
  }

  async listChanges(since: Date, namespace: string): Promise<Changes> {
    return this.single('listChanges', (db) => selectChanges(db, since, namespace));
  }

  async listWorkers(namespace: string): Promise<{ items: WorkerEntry[]; incidents: WorkerIncidentEntry[] }> {
    return this.single('listWorkers', async (db) => ({
      items: await selectWorkers(db, namespace),
      incidents: await selectIncidents(db, namespace),
    }));
  }

  async latestWaits(experimentId: string, run: number): Promise<TaskWait[]> {
    checkInteger('run', run, 1);
    const events = await this.single('latestWaits', (db) => selectLatestWaits(db, experimentId));
    return events.flatMap((event) => {
      const details = event.details ?? {};
      if (details['run'] !== run || event.taskId === null || event.reason === null) return [];
      return [
        {
          taskId: event.taskId,
          attempt: Number(details['attempt']),
          kind: details['waitsFor'] === 'worker' ? ('worker' as const) : ('round' as const),
          message: event.reason,
          at: event.at,
        },
      ];
    });
  }

  /** An experiment's audit trail, oldest first. */
  async listAuditEvents(experimentId: string, query: PageQuery = {}): Promise<Page<AuditEvent>> {
    const limit = pageLimit(query.limit, 100);
    const afterId = query.cursor === undefined ? 0 : decodeAuditCursor(query.cursor);
    const rows = await this.single('listAuditEvents', (db) =>
      selectAuditEvents(db, experimentId, afterId, limit + 1),
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeAuditCursor(last.id) : null };
  }

  /**
   * Registers an experiment as running. Transitions keep the registry in step by themselves; these
   * calls are for repair (e.g. a recovery pass that finds the registry and the states disagree).
   */
  async addRunning(experimentId: string): Promise<void> {
    checkText('experimentId', experimentId, LIMITS.experimentId);
    await this.single('addRunning', (db) => insertRunning(db, experimentId));
  }

  async removeRunning(experimentId: string): Promise<void> {
    await this.single('removeRunning', (db) => deleteRunning(db, experimentId));
  }

  /** The registry, oldest first: what a new leader resumes. */
  async listRunning(): Promise<RunningExperiment[]> {
    return this.single('listRunning', (db) => selectRunning(db));
  }

  /** Who won the last election `name`, and whether it still holds the lock. */
  async getLeader(name: string = ORCHESTRATOR_ELECTION): Promise<LeaderRecord | undefined> {
    return this.single('getLeader', (db) => selectLeader(db, name, leaderLockName(this.database, name)));
  }

  /** Closes the pool. Idempotent; call after the engine has stopped issuing writes. */
  close(): Promise<void> {
    return this.lifecycle.close();
  }

  private ensureOpen(): void {
    this.lifecycle.ensureOpen();
  }

  /**
   * A single statement (a read, or an autocommitted idempotent write), retried on retryable errors
   * within the call's deadline.
   */
  private single<T>(operation: string, work: (db: PoolConnection) => Promise<T>): Promise<T> {
    this.ensureOpen();
    return withDeadline({ store: 'mysql', operation, timeoutMs: this.timeoutMs }, (signal) =>
      withRetry(() => onPooledConnection(this.pool, signal, work), { ...this.retry, signal }),
    );
  }

  /** One transaction, retried whole on retryable errors within the call's deadline. */
  private write<T>(operation: string, work: (db: PoolConnection) => Promise<T>): Promise<T> {
    this.ensureOpen();
    return withDeadline({ store: 'mysql', operation, timeoutMs: this.timeoutMs }, (signal) =>
      inTransaction(this.pool, this.logger, this.retry, signal, work),
    );
  }
}

import type { TaskRun } from '../../domain/records';
import type { TaskRunUpdate } from '../../domain/state-store';
import { TASK_STATE_RANK, isTerminalTaskState } from '../../domain/task-state';
import type { TaskState } from '../../domain/task-state';
import { TASK_RUN_COLUMNS, toTaskRun } from './mappers';
import { ROWS_PER_STATEMENT, changeRows, selectRows } from './sql';
import type { Queryable, SqlValue } from './sql';

/** `CASE <column> WHEN 'PENDING' THEN 0 … END`, built from the one rank table in the domain. */
function rankOf(column: string): string {
  const branches = Object.entries(TASK_STATE_RANK).map(([state, rank]) => `WHEN '${state}' THEN ${rank}`);
  return `(CASE ${column} ${branches.join(' ')} END)`;
}

/** True (in SQL) when the incoming row's state outranks the stored one. */
const ADVANCES = `${rankOf('VALUES(state)')} > ${rankOf('state')}`;

/*
 * One upsert for the whole chunk. Rows for a key already stored (or earlier in the same statement)
 * merge by these rules, which make the result independent of duplicates and of arrival order:
 * - worker and start time fill in when still unknown, whatever the event (a late RUNNING can still
 *   tell when a run that is already COMPLETED started);
 * - state, reason, outputs and end time change only when the state advances.
 * `state` is assigned last because MariaDB evaluates the assignments left to right: every IF above
 * compares against the stored state, not the new one.
 */
const UPSERT_TAIL = `
  ON DUPLICATE KEY UPDATE
    worker_id = COALESCE(worker_id, VALUES(worker_id)),
    started_at = COALESCE(started_at, VALUES(started_at)),
    reason = IF(${ADVANCES}, VALUES(reason), reason),
    outputs = IF(${ADVANCES}, VALUES(outputs), outputs),
    ended_at = IF(${ADVANCES}, VALUES(ended_at), ended_at),
    state = IF(${ADVANCES}, VALUES(state), state)`;

const ROW_SQL =
  '(?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, IF(?, NOW(3), NULL)), COALESCE(?, IF(?, NOW(3), NULL)))';

function rowValues(update: TaskRunUpdate): SqlValue[] {
  const state: TaskState = update.state;
  return [
    update.experimentId,
    update.run,
    update.taskId,
    update.attempt,
    update.workerId ?? null,
    state,
    update.reason ?? null,
    update.outputs === undefined ? null : JSON.stringify(update.outputs),
    update.startedAt ?? null,
    state === 'RUNNING',
    update.endedAt ?? null,
    isTerminalTaskState(state),
  ];
}

function keyOf(update: TaskRunUpdate): string {
  return `${update.experimentId}\u0000${update.run}\u0000${update.taskId}\u0000${update.attempt}`;
}

/**
 * Upserts task runs, forward-only. Rows are sorted by key first (a stable sort, so events for one key
 * keep their order) so that concurrent batches lock rows in the same order and do not deadlock.
 */
export async function upsertTaskRuns(db: Queryable, updates: readonly TaskRunUpdate[]): Promise<void> {
  const sorted = updates
    .map((update) => ({ key: keyOf(update), update }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ update }) => update);
  for (let start = 0; start < sorted.length; start += ROWS_PER_STATEMENT) {
    const chunk = sorted.slice(start, start + ROWS_PER_STATEMENT);
    await changeRows(
      db,
      `INSERT INTO task_runs (experiment_id, run, task_id, attempt, worker_id, state, reason, outputs,
         started_at, ended_at)
       VALUES ${chunk.map(() => ROW_SQL).join(', ')} ${UPSERT_TAIL}`,
      chunk.flatMap(rowValues),
    );
  }
}

/** Runs of one experiment (one run of it when `run` is given), in key order. Served by the primary key. */
export async function selectTaskRuns(db: Queryable, experimentId: string, run?: number): Promise<TaskRun[]> {
  const byRun = run === undefined ? '' : ' AND run = ?';
  const rows = await selectRows(
    db,
    `SELECT ${TASK_RUN_COLUMNS} FROM task_runs WHERE experiment_id = ?${byRun}
      ORDER BY run, task_id, attempt`,
    run === undefined ? [experimentId] : [experimentId, run],
  );
  return rows.map(toTaskRun);
}

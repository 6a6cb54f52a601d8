import type { TaskReport, TaskReportUpdate } from '../../domain/task-report';
import { RowReader } from './row-reader';
import { ROWS_PER_STATEMENT, changeRows, placeholders, selectRows } from './sql';
import type { Queryable, Row, SqlValue } from './sql';

/**
 * Each half of a report replaces the stored one only when it is at least as recent, so duplicates
 * and reordered events leave the latest in place. A half the event lacks (NULL `at`) changes
 * nothing. The `*_at` columns come last: MariaDB evaluates assignments left to right, and every IF
 * above must compare with the stored time, not the new one.
 */
const newer = (column: string): string =>
  `VALUES(${column}) IS NOT NULL AND (${column} IS NULL OR VALUES(${column}) >= ${column})`;

const UPSERT_TAIL = `
  ON DUPLICATE KEY UPDATE
    progress_message = IF(${newer('progress_at')}, VALUES(progress_message), progress_message),
    progress_percent = IF(${newer('progress_at')}, VALUES(progress_percent), progress_percent),
    log_tail = IF(${newer('log_at')}, VALUES(log_tail), log_tail),
    progress_at = IF(${newer('progress_at')}, VALUES(progress_at), progress_at),
    log_at = IF(${newer('log_at')}, VALUES(log_at), log_at)`;

function rowValues(update: TaskReportUpdate): SqlValue[] {
  return [
    update.experimentId,
    update.run,
    update.taskId,
    update.attempt,
    update.progress?.message ?? null,
    update.progress?.percent ?? null,
    update.progress?.at ?? null,
    update.logTail?.text ?? null,
    update.logTail?.at ?? null,
  ];
}

export async function upsertTaskReports(db: Queryable, updates: readonly TaskReportUpdate[]): Promise<void> {
  for (let start = 0; start < updates.length; start += ROWS_PER_STATEMENT) {
    const chunk = updates.slice(start, start + ROWS_PER_STATEMENT);
    await changeRows(
      db,
      `INSERT INTO task_reports (experiment_id, run, task_id, attempt, progress_message, progress_percent,
         progress_at, log_tail, log_at)
       VALUES ${chunk.map(() => placeholders(9)).join(', ')} ${UPSERT_TAIL}`,
      chunk.flatMap(rowValues),
    );
  }
}

function toTaskReport(row: Row): TaskReport {
  const read = new RowReader('task_reports', row);
  const progressAt = read.dateOrNull('progress_at');
  const logAt = read.dateOrNull('log_at');
  const percent = row['progress_percent'];
  return {
    taskId: read.string('task_id'),
    attempt: read.integer('attempt'),
    progress:
      progressAt === null
        ? null
        : {
            message: read.stringOrNull('progress_message'),
            percent: typeof percent === 'number' ? percent : null,
            at: progressAt,
          },
    logTail: logAt === null ? null : { text: read.stringOrNull('log_tail') ?? '', at: logAt },
  };
}

const COLUMNS = 'task_id, attempt, progress_message, progress_percent, progress_at, log_tail, log_at';

/** The reports of every attempt of one run, without the log tails (the experiment view's progress). */
export async function selectProgress(
  db: Queryable,
  experimentId: string,
  run: number,
): Promise<TaskReport[]> {
  const rows = await selectRows(
    db,
    `SELECT task_id, attempt, progress_message, progress_percent, progress_at, NULL AS log_tail, NULL AS log_at
       FROM task_reports WHERE experiment_id = ? AND run = ? ORDER BY task_id, attempt`,
    [experimentId, run],
  );
  return rows.map(toTaskReport);
}

/** One attempt's report with its log tail; the latest attempt that shipped a tail when none is named. */
export async function selectTaskLog(
  db: Queryable,
  key: { experimentId: string; run: number; taskId: string; attempt?: number | undefined },
): Promise<TaskReport | undefined> {
  const byAttempt = key.attempt === undefined ? 'log_at IS NOT NULL' : 'attempt = ?';
  const values: SqlValue[] = [key.experimentId, key.run, key.taskId];
  if (key.attempt !== undefined) values.push(key.attempt);
  const rows = await selectRows(
    db,
    `SELECT ${COLUMNS} FROM task_reports
       WHERE experiment_id = ? AND run = ? AND task_id = ? AND ${byAttempt}
       ORDER BY attempt DESC LIMIT 1`,
    values,
  );
  const row = rows[0];
  return row === undefined ? undefined : toTaskReport(row);
}

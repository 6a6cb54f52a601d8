import { randomUUID } from 'node:crypto';
import {
  EXPERIMENT_STATES,
  TERMINAL_EXPERIMENT_STATES,
  isExperimentState,
} from '../../domain/experiment-state';
import type { ExperimentState } from '../../domain/experiment-state';
import type { JsonObject } from '../../domain/json';
import type { Experiment } from '../../domain/records';
import type { NewExperiment } from '../../domain/state-store';
import type { ExperimentCursor } from './cursor';
import { EXPERIMENT_COLUMNS, toExperiment } from './mappers';
import { RowReader } from './row-reader';
import { ROWS_PER_STATEMENT, changeRows, placeholders, selectRows } from './sql';
import type { Queryable, SqlValue } from './sql';

/** SQL for the experiments table. Functions take a pool or a transaction's connection. */

export interface ExperimentRow {
  id: string;
  type: string;
  dagVersion: number;
  priority: number;
  inputs: JsonObject;
  idempotencyKey: string | null;
}

/** The row of a new experiment: a random id unless one is given, the inputs as they will be read back. */
export function experimentRow(input: NewExperiment): ExperimentRow {
  return {
    id: input.id ?? randomUUID(),
    type: input.type,
    dagVersion: input.dagVersion,
    priority: input.priority,
    // What will be read back: undefined members dropped, as JSON does, so retries compare equal.
    inputs: JSON.parse(JSON.stringify(input.inputs)) as JsonObject,
    idempotencyKey: input.idempotencyKey ?? null,
  };
}

/** Inserts a PENDING experiment; throws ER_DUP_ENTRY when the id or idempotency key exists. */
export async function insertExperiment(db: Queryable, row: ExperimentRow): Promise<void> {
  await changeRows(
    db,
    `INSERT INTO experiments (id, type, dag_version, state, priority, inputs, idempotency_key, run,
       created_at, updated_at)
     VALUES (?, ?, ?, 'PENDING', ?, ?, ?, 1, NOW(3), NOW(3))`,
    [row.id, row.type, row.dagVersion, row.priority, JSON.stringify(row.inputs), row.idempotencyKey],
  );
}

/**
 * Inserts many PENDING experiments, one statement per {@link ROWS_PER_STATEMENT}. A row whose id or
 * idempotency key exists is skipped (`id = id` is the no-op update) instead of failing the others:
 * read back by id to tell the rows inserted from those that were already there.
 */
export async function insertExperimentsSkippingDuplicates(
  db: Queryable,
  rows: readonly ExperimentRow[],
): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
    await changeRows(
      db,
      `INSERT INTO experiments (id, type, dag_version, state, priority, inputs, idempotency_key, run,
         created_at, updated_at)
       VALUES ${chunk.map(() => "(?, ?, ?, 'PENDING', ?, ?, ?, 1, NOW(3), NOW(3))").join(', ')}
       ON DUPLICATE KEY UPDATE id = id`,
      chunk.flatMap((row) => [
        row.id,
        row.type,
        row.dagVersion,
        row.priority,
        JSON.stringify(row.inputs),
        row.idempotencyKey,
      ]),
    );
  }
}

export type RowLock = 'none' | 'share' | 'update';

const LOCK_CLAUSE: Record<RowLock, string> = {
  none: '',
  // A locking read sees the latest committed row even inside an older REPEATABLE READ snapshot.
  share: ' LOCK IN SHARE MODE',
  update: ' FOR UPDATE',
};

export async function selectExperiment(
  db: Queryable,
  by: { id: string } | { idempotencyKey: string },
  lock: RowLock = 'none',
): Promise<Experiment | undefined> {
  const [column, value] = 'id' in by ? ['id', by.id] : ['idempotency_key', by.idempotencyKey];
  const rows = await selectRows(
    db,
    `SELECT ${EXPERIMENT_COLUMNS} FROM experiments WHERE ${column} = ?${LOCK_CLAUSE[lock]}`,
    [value],
  );
  const row = rows[0];
  return row === undefined ? undefined : toExperiment(row);
}

/** The experiments with these ids (or idempotency keys), by that value; missing ones are absent. */
export async function selectExperimentsIn(
  db: Queryable,
  column: 'id' | 'idempotency_key',
  values: readonly string[],
  lock: RowLock = 'none',
): Promise<Map<string, Experiment>> {
  const found = new Map<string, Experiment>();
  const unique = [...new Set(values)];
  for (let start = 0; start < unique.length; start += ROWS_PER_STATEMENT) {
    const chunk = unique.slice(start, start + ROWS_PER_STATEMENT);
    const rows = await selectRows(
      db,
      `SELECT ${EXPERIMENT_COLUMNS} FROM experiments WHERE ${column} IN ${placeholders(chunk.length)}${LOCK_CLAUSE[lock]}`,
      chunk,
    );
    for (const experiment of rows.map(toExperiment)) {
      found.set(column === 'id' ? experiment.id : (experiment.idempotencyKey ?? ''), experiment);
    }
  }
  return found;
}

export interface ExperimentFilter {
  state?: ExperimentState | undefined;
  type?: string | undefined;
  text?: string | undefined;
  after?: ExperimentCursor | undefined;
}

/** Newest first. Each filter matches the leading column of an index ending in (created_at, id). */
export async function selectExperiments(
  db: Queryable,
  filter: ExperimentFilter,
  limit: number,
): Promise<Experiment[]> {
  const conditions: string[] = [];
  const values: SqlValue[] = [];
  if (filter.state !== undefined) {
    conditions.push('state = ?');
    values.push(filter.state);
  }
  if (filter.type !== undefined) {
    conditions.push('type = ?');
    values.push(filter.type);
  }
  if (filter.text !== undefined) {
    // The ids and keys compare byte for byte (utf8mb4_bin); a search is meant to ignore case.
    const pattern = `%${filter.text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
    conditions.push(
      '(id LIKE ? COLLATE utf8mb4_general_ci OR type LIKE ? COLLATE utf8mb4_general_ci OR failure_reason LIKE ? COLLATE utf8mb4_general_ci)',
    );
    values.push(pattern, pattern, pattern);
  }
  if (filter.after !== undefined) {
    // Spelled out rather than as a row comparison, which MariaDB does not turn into an index range.
    conditions.push('(created_at < ? OR (created_at = ? AND id < ?))');
    values.push(filter.after.createdAt, filter.after.createdAt, filter.after.id);
  }
  const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
  const rows = await selectRows(
    db,
    `SELECT ${EXPERIMENT_COLUMNS} FROM experiments ${where} ORDER BY created_at DESC, id DESC LIMIT ?`,
    [...values, limit],
  );
  return rows.map(toExperiment);
}

/** How many experiments are in each state; every state present, 0 when none (an index-only scan). */
export async function countExperimentsByState(db: Queryable): Promise<Record<ExperimentState, number>> {
  const counts = Object.fromEntries(EXPERIMENT_STATES.map((state) => [state, 0])) as Record<
    ExperimentState,
    number
  >;
  const rows = await selectRows(db, 'SELECT state, COUNT(*) AS count FROM experiments GROUP BY state');
  for (const row of rows) {
    const reader = new RowReader('experiments', row);
    const state = reader.string('state');
    if (isExperimentState(state)) counts[state] = reader.integer('count');
  }
  return counts;
}

/**
 * Compare-and-set of the state: changes the rows only if they are still in `expected`; returns how
 * many changed. Timestamps follow
 * the state: RUNNING stamps the first start (a resume keeps it) and clears the end; a terminal state
 * stamps the end; only FAILED keeps a failure reason.
 */
export async function updateExperimentState(
  db: Queryable,
  ids: readonly string[],
  expected: ExperimentState,
  to: ExperimentState,
  reason: string | null,
): Promise<number> {
  const terminal = TERMINAL_EXPERIMENT_STATES.includes(to);
  let changed = 0;
  for (let start = 0; start < ids.length; start += ROWS_PER_STATEMENT) {
    const chunk = ids.slice(start, start + ROWS_PER_STATEMENT);
    changed += await changeRows(
      db,
      `UPDATE experiments
          SET state = ?,
              started_at = IF(? = 'RUNNING', COALESCE(started_at, NOW(3)), started_at),
              ended_at = IF(?, NOW(3), NULL),
              failure_reason = IF(? = 'FAILED', ?, NULL),
              updated_at = NOW(3)
        WHERE id IN ${placeholders(chunk.length)} AND state = ?`,
      [to, to, terminal, to, reason, ...chunk, expected],
    );
  }
  return changed;
}

/** Starts run `run + 1` from a terminal state; a compare-and-set on both state and run. */
export async function updateExperimentRerun(db: Queryable, id: string, fromRun: number): Promise<boolean> {
  const changed = await changeRows(
    db,
    `UPDATE experiments
        SET run = run + 1, state = 'PENDING', started_at = NULL, ended_at = NULL, failure_reason = NULL,
            updated_at = NOW(3)
      WHERE id = ? AND run = ? AND state IN ${placeholders(TERMINAL_EXPERIMENT_STATES.length)}`,
    [id, fromRun, ...TERMINAL_EXPERIMENT_STATES],
  );
  return changed === 1;
}

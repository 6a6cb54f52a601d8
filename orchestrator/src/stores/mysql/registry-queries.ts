import type { RunningExperiment } from '../../domain/records';
import { RUNNING_COLUMNS, toRunningExperiment } from './mappers';
import { ROWS_PER_STATEMENT, changeRows, placeholders, selectRows } from './sql';
import type { Queryable } from './sql';

/** Idempotent: an experiment already registered keeps its original `since`. */
export async function insertRunning(db: Queryable, experimentId: string): Promise<void> {
  await insertRunningMany(db, [experimentId]);
}

/** {@link insertRunning} for many experiments, one statement per {@link ROWS_PER_STATEMENT}. */
export async function insertRunningMany(db: Queryable, experimentIds: readonly string[]): Promise<void> {
  for (let start = 0; start < experimentIds.length; start += ROWS_PER_STATEMENT) {
    const chunk = experimentIds.slice(start, start + ROWS_PER_STATEMENT);
    await changeRows(
      db,
      `INSERT INTO running_experiments (experiment_id, since) VALUES ${chunk.map(() => '(?, NOW(3))').join(', ')}
         ON DUPLICATE KEY UPDATE experiment_id = experiment_id`,
      [...chunk],
    );
  }
}

export async function deleteRunning(db: Queryable, experimentId: string): Promise<void> {
  await deleteRunningMany(db, [experimentId]);
}

export async function deleteRunningMany(db: Queryable, experimentIds: readonly string[]): Promise<void> {
  for (let start = 0; start < experimentIds.length; start += ROWS_PER_STATEMENT) {
    const chunk = experimentIds.slice(start, start + ROWS_PER_STATEMENT);
    await changeRows(
      db,
      `DELETE FROM running_experiments WHERE experiment_id IN ${placeholders(chunk.length)}`,
      [...chunk],
    );
  }
}

/** Oldest first, so a recovering orchestrator resumes experiments in the order they started. */
export async function selectRunning(db: Queryable): Promise<RunningExperiment[]> {
  const rows = await selectRows(
    db,
    `SELECT ${RUNNING_COLUMNS} FROM running_experiments ORDER BY since, experiment_id`,
  );
  return rows.map(toRunningExperiment);
}

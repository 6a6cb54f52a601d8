import type { RunningExperiment } from '../../domain/records';
import { RUNNING_COLUMNS, toRunningExperiment } from './mappers';
import { changeRows, selectRows } from './sql';
import type { Queryable } from './sql';

/** Idempotent: an experiment already registered keeps its original `since`. */
export async function insertRunning(db: Queryable, experimentId: string): Promise<void> {
  await changeRows(
    db,
    `INSERT INTO running_experiments (experiment_id, since) VALUES (?, NOW(3))
       ON DUPLICATE KEY UPDATE experiment_id = experiment_id`,
    [experimentId],
  );
}

export async function deleteRunning(db: Queryable, experimentId: string): Promise<void> {
  await changeRows(db, 'DELETE FROM running_experiments WHERE experiment_id = ?', [experimentId]);
}

/** Oldest first, so a recovering orchestrator resumes experiments in the order they started. */
export async function selectRunning(db: Queryable): Promise<RunningExperiment[]> {
  const rows = await selectRows(
    db,
    `SELECT ${RUNNING_COLUMNS} FROM running_experiments ORDER BY since, experiment_id`,
  );
  return rows.map(toRunningExperiment);
}

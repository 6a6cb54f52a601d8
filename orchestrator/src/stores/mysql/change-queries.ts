import type { Changes } from '../../domain/changes';
import { EXPERIMENT_COLUMNS, toExperiment } from './mappers';
import { RowReader } from './row-reader';
import { selectRows } from './sql';
import type { Queryable } from './sql';
import { isMissingTable } from './worker-directory-queries';

/** Most rows of each kind one look returns; a busier second is caught up by the next look. */
const MAX_CHANGES = 500;

export async function selectChanges(db: Queryable, since: Date, namespace: string): Promise<Changes> {
  const experiments = await selectRows(
    db,
    `SELECT ${EXPERIMENT_COLUMNS} FROM experiments WHERE updated_at > ? ORDER BY updated_at LIMIT ?`,
    [since, MAX_CHANGES],
  );
  const tasks = await selectRows(
    db,
    `SELECT experiment_id, MAX(updated_at) AS at FROM (
       SELECT experiment_id, updated_at FROM task_runs WHERE updated_at > ?
       UNION ALL SELECT experiment_id, updated_at FROM task_reports WHERE updated_at > ?
     ) AS changed GROUP BY experiment_id LIMIT ?`,
    [since, since, MAX_CHANGES],
  );
  const [clock] = await selectRows(db, 'SELECT NOW(3) AS now');
  let workersAt: Date | null = null;
  try {
    const [workers] = await selectRows(
      db,
      'SELECT MAX(updated_at) AS at FROM worker_directory WHERE namespace = ?',
      [namespace],
    );
    workersAt = workers === undefined ? null : new RowReader('worker_directory', workers).dateOrNull('at');
  } catch (error) {
    if (!isMissingTable(error)) throw error;
  }
  return {
    experiments: experiments.map(toExperiment),
    tasks: tasks.map((row) => {
      const read = new RowReader('task_runs', row);
      return { experimentId: read.string('experiment_id'), at: read.date('at') };
    }),
    workersAt,
    now: new RowReader('clock', clock ?? {}).date('now'),
  };
}

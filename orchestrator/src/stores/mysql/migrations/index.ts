import { initial } from './0001_initial';
import { taskReports } from './0002_task_reports';
import type { Migration } from './migration';

export type { Migration } from './migration';

/** Every migration, in order of application. Append only. */
export const MIGRATIONS: readonly Migration[] = [initial, taskReports];

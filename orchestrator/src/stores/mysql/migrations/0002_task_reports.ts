import type { Migration } from './migration';

/**
 * Indexes on `updated_at` for the change feed (`GET /api/stream`), and what a worker reports about an attempt besides its state: its latest PROGRESS (message, percent)
 * and the latest tail of its log (`TASK_LOG_TAIL`: at most 64 KiB, so MEDIUMTEXT). One row per
 * attempt; each half keeps the report with the latest `at`, whatever order the events come in.
 */
export const taskReports: Migration = {
  version: 2,
  name: 'task-reports',
  statements: [
    `CREATE TABLE IF NOT EXISTS task_reports (
      experiment_id VARCHAR(64) NOT NULL,
      run INT UNSIGNED NOT NULL,
      task_id VARCHAR(128) NOT NULL,
      attempt INT UNSIGNED NOT NULL,
      progress_message TEXT NULL,
      progress_percent DOUBLE NULL,
      progress_at DATETIME(3) NULL,
      log_tail MEDIUMTEXT NULL,
      log_at DATETIME(3) NULL,
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      PRIMARY KEY (experiment_id, run, task_id, attempt),
      KEY ix_task_reports_updated (updated_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    // The API's change feed asks every second what changed since its last look.
    'CREATE INDEX IF NOT EXISTS ix_experiments_updated ON experiments (updated_at)',
    'CREATE INDEX IF NOT EXISTS ix_task_runs_updated ON task_runs (updated_at)',
  ],
};

import type { Migration } from './migration';

/*
 * The state lists in the CHECK constraints are spelled out rather than built from the TypeScript
 * constants: a migration is frozen text (its checksum is verified), and a later change to the
 * constants must come with its own migration.
 *
 * All tables use utf8mb4_bin so ids, keys and task names compare byte-for-byte: task "A" and task "a"
 * are different tasks, and an idempotency key is case-sensitive.
 */
const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

export const initial: Migration = {
  version: 1,
  name: 'initial',
  statements: [
    `CREATE TABLE IF NOT EXISTS experiments (
      id VARCHAR(64) NOT NULL,
      type VARCHAR(128) NOT NULL,
      dag_version INT UNSIGNED NOT NULL,
      state VARCHAR(16) NOT NULL,
      priority TINYINT UNSIGNED NOT NULL,
      inputs JSON NOT NULL,
      idempotency_key VARCHAR(255) NULL,
      run INT UNSIGNED NOT NULL DEFAULT 1,
      failure_reason TEXT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      started_at DATETIME(3) NULL,
      ended_at DATETIME(3) NULL,
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      UNIQUE KEY uq_experiments_idempotency_key (idempotency_key),
      KEY ix_experiments_state_created (state, created_at, id),
      KEY ix_experiments_type_created (type, created_at, id),
      KEY ix_experiments_created (created_at, id),
      CONSTRAINT ck_experiments_state
        CHECK (state IN ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED')),
      CONSTRAINT ck_experiments_run CHECK (run >= 1)
    ) ${TABLE_OPTIONS}`,

    // No foreign key to experiments, on purpose: see docs/data-model-mysql.md ("Why no foreign keys").
    `CREATE TABLE IF NOT EXISTS task_runs (
      experiment_id VARCHAR(64) NOT NULL,
      run INT UNSIGNED NOT NULL,
      task_id VARCHAR(128) NOT NULL,
      attempt INT UNSIGNED NOT NULL,
      worker_id VARCHAR(255) NULL,
      state VARCHAR(16) NOT NULL,
      reason TEXT NULL,
      outputs JSON NULL,
      started_at DATETIME(3) NULL,
      ended_at DATETIME(3) NULL,
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      PRIMARY KEY (experiment_id, run, task_id, attempt),
      CONSTRAINT ck_task_runs_state
        CHECK (state IN ('PENDING', 'QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED')),
      CONSTRAINT ck_task_runs_run CHECK (run >= 1),
      CONSTRAINT ck_task_runs_attempt CHECK (attempt >= 1)
    ) ${TABLE_OPTIONS}`,

    `CREATE TABLE IF NOT EXISTS audit_events (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      experiment_id VARCHAR(64) NOT NULL,
      task_id VARCHAR(128) NULL,
      type VARCHAR(64) NOT NULL,
      from_state VARCHAR(16) NULL,
      to_state VARCHAR(16) NULL,
      actor VARCHAR(128) NOT NULL,
      reason TEXT NULL,
      details JSON NULL,
      dedupe_key VARCHAR(255) NULL,
      at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      UNIQUE KEY uq_audit_events_dedupe_key (dedupe_key),
      KEY ix_audit_events_experiment (experiment_id, id)
    ) ${TABLE_OPTIONS}`,

    `CREATE TABLE IF NOT EXISTS running_experiments (
      experiment_id VARCHAR(64) NOT NULL,
      since DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (experiment_id)
    ) ${TABLE_OPTIONS}`,

    `CREATE TABLE IF NOT EXISTS leadership (
      name VARCHAR(64) NOT NULL,
      term BIGINT UNSIGNED NOT NULL,
      holder VARCHAR(255) NOT NULL,
      connection_id BIGINT UNSIGNED NOT NULL,
      elected_at DATETIME(3) NOT NULL,
      PRIMARY KEY (name)
    ) ${TABLE_OPTIONS}`,
  ],
};

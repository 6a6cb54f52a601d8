import { createHash } from 'node:crypto';
import type { Logger } from '@wlm/commons/logging';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { MigrationError } from '../../errors/migration-error';
import type { Migration } from './migrations';
import { RowReader } from './row-reader';
import { selectRows } from './sql';

const SCHEMA_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT UNSIGNED NOT NULL,
  name VARCHAR(128) NOT NULL,
  checksum CHAR(64) NOT NULL,
  applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

export interface MigrateOptions {
  /** The `GET_LOCK` name that serializes migrators of this database. */
  lockName: string;
  /** How long to wait for another orchestrator's migration to finish. */
  lockTimeoutSeconds?: number;
}

export function migrationChecksum(migration: Migration): string {
  return createHash('sha256').update(migration.statements.join('\n;\n')).digest('hex');
}

/**
 * Brings the schema up to date and returns the versions this call applied (empty when another process
 * did, or nothing was pending). Orchestrators starting together serialize on a user lock, so exactly
 * one applies each migration and the others find it recorded.
 */
export async function runMigrations(
  pool: Pool,
  migrations: readonly Migration[],
  logger: Logger,
  options: MigrateOptions,
): Promise<number[]> {
  checkOrder(migrations);
  // A user lock belongs to its connection, so lock, migrate and unlock all happen on this one.
  const connection = await pool.getConnection();
  let reusable = true;
  try {
    await acquire(connection, options);
    try {
      return await applyPending(connection, migrations, logger);
    } finally {
      // If the connection died the server has dropped the lock already; keep the original error.
      await connection.query('SELECT RELEASE_LOCK(?)', [options.lockName]).catch(() => {
        reusable = false;
      });
    }
  } finally {
    if (reusable) connection.release();
    else connection.destroy();
  }
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new MigrationError(
        migration.version,
        `migration ${migration.name} should have version ${index + 1}`,
      );
    }
  });
}

async function acquire(connection: PoolConnection, options: MigrateOptions): Promise<void> {
  const timeout = options.lockTimeoutSeconds ?? 120;
  const rows = await selectRows(connection, 'SELECT GET_LOCK(?, ?) AS acquired', [options.lockName, timeout]);
  const row = rows[0];
  if (row === undefined || !new RowReader('GET_LOCK', row).flag('acquired')) {
    throw new MigrationError(
      undefined,
      `another process held the migration lock ${options.lockName} for ${timeout} s; ` +
        'check for a stuck orchestrator, or retry',
      { retryable: true },
    );
  }
}

async function applyPending(
  connection: PoolConnection,
  migrations: readonly Migration[],
  logger: Logger,
): Promise<number[]> {
  await connection.query(SCHEMA_MIGRATIONS_TABLE);
  const applied = new Map<number, string>();
  for (const row of await selectRows(connection, 'SELECT version, checksum FROM schema_migrations')) {
    const reader = new RowReader('schema_migrations', row);
    applied.set(reader.integer('version'), reader.string('checksum'));
  }

  const known = new Set(migrations.map((migration) => migration.version));
  const unknown = [...applied.keys()].filter((version) => !known.has(version));
  if (unknown.length > 0) {
    // A newer orchestrator migrated this database. Migrations only add, so keep going (rolling upgrade).
    logger.warn({ versions: unknown }, 'the database has migrations this orchestrator does not know');
  }

  const done: number[] = [];
  for (const migration of migrations) {
    const checksum = migrationChecksum(migration);
    const recorded = applied.get(migration.version);
    if (recorded !== undefined) {
      if (recorded !== checksum) {
        throw new MigrationError(
          migration.version,
          `migration ${migration.version} (${migration.name}) was changed after it was applied; ` +
            'restore its original text and add the change as a new migration',
        );
      }
      continue;
    }
    const started = Date.now();
    for (const statement of migration.statements) await connection.query(statement);
    await connection.query('INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)', [
      migration.version,
      migration.name,
      checksum,
    ]);
    logger.info(
      { version: migration.version, migration: migration.name, ms: Date.now() - started },
      'applied a schema migration',
    );
    done.push(migration.version);
  }
  return done;
}

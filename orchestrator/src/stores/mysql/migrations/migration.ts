/**
 * One schema change. Statements run in order, each on its own: MariaDB commits DDL implicitly, so a
 * migration cannot be one transaction. Write every statement so that running it again after a crash
 * half-way is harmless (`CREATE TABLE IF NOT EXISTS`, `ADD COLUMN IF NOT EXISTS`, …): the migration is
 * recorded as applied only after its last statement.
 *
 * Never edit a migration once it has shipped — the runner refuses to start on a database where an
 * applied migration's checksum differs. Add a new one instead.
 */
export interface Migration {
  /** 1, 2, 3 … with no gaps; also the order of application. */
  version: number;
  name: string;
  statements: readonly string[];
}

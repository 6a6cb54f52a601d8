import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';

/** A value mysql2 escapes into SQL. Objects are left out on purpose: mysql2 would expand them. */
export type SqlValue = string | number | boolean | Date | null;

/** Rows per multi-row INSERT: keeps a statement well under max_allowed_packet even with sizeable JSON. */
export const ROWS_PER_STATEMENT = 500;

/** A pool, one of its connections (inside a transaction), or a dedicated connection. */
export type Queryable = Connection;

/** A result row with its columns as `unknown`, to be read through a {@link RowReader}. */
export type Row = Readonly<Record<string, unknown>>;

/**
 * Runs a statement that returns rows. Statements go through the text protocol (`query`) with
 * client-side escaping rather than `execute`: the batched inserts vary in row count, and each shape
 * would otherwise become one more server-side prepared statement.
 */
export async function selectRows(
  db: Queryable,
  sql: string,
  values: SqlValue[] = [],
  options: { timeoutMs?: number } = {},
): Promise<Row[]> {
  const query = options.timeoutMs === undefined ? { sql } : { sql, timeout: options.timeoutMs };
  const [rows] = await db.query<RowDataPacket[]>(query, values);
  return rows;
}

/** Runs a statement that changes rows and returns the number of rows it matched. */
export async function changeRows(db: Queryable, sql: string, values: SqlValue[] = []): Promise<number> {
  const [result] = await db.query<ResultSetHeader>(sql, values);
  return result.affectedRows;
}

/** `(?, ?, ?)` for `count` placeholders. */
export function placeholders(count: number): string {
  return `(${new Array<string>(count).fill('?').join(', ')})`;
}

/** MariaDB reports a unique-key violation with this code. */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ER_DUP_ENTRY';
}

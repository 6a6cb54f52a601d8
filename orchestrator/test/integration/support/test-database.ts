import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import type { Connection, RowDataPacket } from 'mysql2/promise';

/** The server the integration tests use; `WLM_MYSQL_URL` points them elsewhere (its database is ignored). */
const SERVER_URL = process.env['WLM_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/wlm';

export interface TestDatabase {
  name: string;
  /** `mysql.url` for this database. */
  url: string;
  /** A connection to the server for assertions and fault injection, opened on first use. */
  admin(): Promise<Connection>;
  /** Runs a statement on the admin connection; name tables as `${db.name}.table`. */
  rows(statement: string, values?: unknown[]): Promise<RowDataPacket[]>;
  /** Counts the rows of one of this database's tables matching `where`. */
  count(table: string, where?: string, values?: unknown[]): Promise<number>;
  /** Drops the database and closes the admin connection. */
  drop(): Promise<void>;
}

/**
 * A database of the test file's own (`wlm_test_<label>_<random>`), so test files can run in parallel
 * on one server and never see each other's rows. Created by the code under test, dropped in afterAll.
 */
export function testDatabase(label: string): TestDatabase {
  const name = `wlm_test_${label}_${randomBytes(4).toString('hex')}`;
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  let admin: Promise<Connection> | undefined;
  const open = (): Promise<Connection> => {
    const server = new URL(SERVER_URL);
    admin ??= createConnection({
      host: server.hostname,
      port: Number(server.port || 3306),
      user: decodeURIComponent(server.username) || 'root',
      password: decodeURIComponent(server.password),
      database: 'information_schema',
    });
    return admin;
  };
  const rows = async (statement: string, values: unknown[] = []): Promise<RowDataPacket[]> => {
    const [result] = await (await open()).query<RowDataPacket[]>(statement, values);
    return result;
  };
  return {
    name,
    url: url.toString(),
    admin: open,
    rows,
    async count(table, where = '1 = 1', values = []) {
      const [row] = await rows(`SELECT COUNT(*) AS n FROM \`${name}\`.${table} WHERE ${where}`, values);
      return Number(row?.['n']);
    },
    async drop() {
      const connection = await open();
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    },
  };
}

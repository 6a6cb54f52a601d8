import { parseMysqlUrl } from '@wlm/commons/config';
import { ServerTlsError, isTlsRefusal } from '@wlm/commons/errors';
import { createConnection, createPool } from 'mysql2/promise';
import type { Pool, RowDataPacket } from 'mysql2/promise';

/** Connections the fence keeps at most: claims are batched, so a few carry any burst. */
const POOL_SIZE = 4;

/**
 * A pool on the database of `url`, created first when missing (the scheduler may start before any
 * orchestrator made it). UTC and strict mode, as the orchestrator's stores use.
 */
export async function openFencePool(url: string, timeoutMs: number): Promise<Pool> {
  const { server, database } = parseMysqlUrl(url);
  const common = {
    ...server,
    connectTimeout: timeoutMs,
    timezone: 'Z',
    multipleStatements: false,
    // No stack captured on every query for an error that almost never comes: CPU on the hot path.
    trace: false,
  };
  const bootstrap = await createConnection(common).catch((error: unknown) => {
    if (isTlsRefusal(error))
      throw new ServerTlsError('MySQL', `${server.host}:${server.port}`, 'ssl-ca of mysql.url', error);
    throw error;
  });
  try {
    // Checked first: an account allowed to use, but not to create, an existing database still starts.
    const [rows] = await bootstrap.query<RowDataPacket[]>({
      sql: 'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      timeout: timeoutMs,
      values: [database],
    });
    if (rows.length === 0)
      await bootstrap.query({
        sql:
          `CREATE DATABASE IF NOT EXISTS ${bootstrap.escapeId(database)} ` +
          'CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
        timeout: timeoutMs,
      });
  } finally {
    bootstrap.destroy();
  }
  const pool = createPool({ ...common, database, connectionLimit: POOL_SIZE, charset: 'utf8mb4_bin' });
  pool.on('connection', (connection) => {
    // Strict mode: an oversized id fails instead of being truncated into another attempt's key.
    connection.query("SET SESSION sql_mode = 'STRICT_ALL_TABLES', time_zone = '+00:00'");
  });
  return pool;
}

import { createConnection, createPool } from 'mysql2/promise';
import type { Connection, ConnectionOptions, Pool, RowDataPacket } from 'mysql2/promise';
import { ServerTlsError, isTlsRefusal } from '@wlm/commons/errors';
import type { Logger } from '@wlm/commons/logging';
import type { MysqlServer, MysqlTarget } from '@wlm/commons/config';

/**
 * Session settings every connection needs for the store to be correct: strict mode, so an oversized
 * value fails instead of being truncated; UTC, so `NOW(3)` and the `DATETIME` values mysql2 turns into
 * `Date`s (with `timezone: 'Z'`) agree whatever the server's own time zone is. With
 * `waitTimeoutSeconds`, the server drops the session once it has been silent that long — with its
 * open transaction and its locks — rather than after the default 8 hours.
 */
export function sessionSetupSql(waitTimeoutSeconds?: number): string {
  const base =
    "SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', " +
    "time_zone = '+00:00'";
  if (waitTimeoutSeconds === undefined) return base;
  if (!Number.isInteger(waitTimeoutSeconds) || waitTimeoutSeconds < 1) {
    throw new RangeError(`waitTimeoutSeconds must be a positive integer, got ${waitTimeoutSeconds}`);
  }
  return `${base}, wait_timeout = ${waitTimeoutSeconds}`;
}

const CONNECT_TIMEOUT_MS = 10_000;

/** Connection options shared by the pool and the dedicated connections. */
export function connectionOptions(server: MysqlServer, database?: string): ConnectionOptions {
  return {
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    ...(server.ssl === undefined ? {} : { ssl: server.ssl }),
    ...(database === undefined ? {} : { database }),
    charset: 'utf8mb4_bin',
    timezone: 'Z',
    supportBigNumbers: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // One statement per call: a bug can never smuggle a second statement into a query.
    multipleStatements: false,
    // mysql2 captures the caller's stack on every query, to put it on an error that almost never
    // comes: CPU on the hot path, while the stores' own errors say which statement failed.
    trace: false,
  };
}

/**
 * Opens one connection outside any pool, with the session setup applied. Connecting is bounded by
 * mysql2's `connectTimeout`; the setup statement by `timeoutMs` (default: the same 10 s).
 */
export async function openConnection(
  server: MysqlServer,
  database?: string,
  session: { waitTimeoutSeconds?: number; timeoutMs?: number } = {},
): Promise<Connection> {
  const connection = await createConnection(connectionOptions(server, database)).catch((error: unknown) => {
    // A refused certificate stays refused: fail at once, naming what to fix, rather than retry.
    if (isTlsRefusal(error))
      throw new ServerTlsError('MySQL', `${server.host}:${server.port}`, 'ssl-ca of mysql.url', error);
    throw error;
  });
  try {
    await connection.query({
      sql: sessionSetupSql(session.waitTimeoutSeconds),
      timeout: session.timeoutMs ?? CONNECT_TIMEOUT_MS,
    });
  } catch (error) {
    connection.destroy();
    throw error;
  }
  return connection;
}

/**
 * Creates the database when it is missing. Existence is checked first so that an account allowed to
 * use, but not to create, an existing database still starts.
 */
export async function ensureDatabase(target: MysqlTarget, logger: Logger): Promise<void> {
  const connection = await openConnection(target.server);
  try {
    const [rows] = await connection.query<RowDataPacket[]>(
      'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [target.database],
    );
    if (rows.length > 0) return;
    // The name was checked to be a plain identifier by parseMysqlUrl; escapeId quotes it anyway.
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS ${connection.escapeId(target.database)} ` +
        'CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
    );
    logger.info({ database: target.database }, 'created the MySQL database');
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

export interface PoolSettings {
  connectionLimit: number;
  /** `wait_timeout` of every pooled session (see {@link sessionSetupSql}). */
  waitTimeoutSeconds?: number | undefined;
}

/** A pool whose every new connection gets the session setup before its first use. */
export function createStorePool(target: MysqlTarget, settings: PoolSettings, logger: Logger): Pool {
  const setup = sessionSetupSql(settings.waitTimeoutSeconds);
  const pool = createPool({
    ...connectionOptions(target.server, target.database),
    connectionLimit: settings.connectionLimit,
    // Waiting for a free connection is the backpressure; an unbounded queue keeps it lossless.
    queueLimit: 0,
    enableKeepAlive: true,
  });
  // A session the server dropped for silence leaves the pool through its 'error' event (mysql2's
  // PoolConnection listens for it); a query racing that drop fails with a retryable fatal error.
  // The core pool, not the promise wrapper: its 'connection' event hands out the callback-style
  // connection (whatever the wrapper's typings say). Commands on a connection run in order, so the
  // setup finishes before the connection's first query.
  pool.pool.on('connection', (connection) => {
    connection.on('error', (error) => logger.debug({ err: error }, 'a pooled MySQL session ended'));
    connection.query(setup, (error) => {
      if (error === null) return;
      logger.error({ err: error }, 'could not set up a MySQL session; dropping the connection');
      connection.destroy();
    });
  });
  return pool;
}

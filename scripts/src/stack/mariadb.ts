import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import type { Connection, ConnectionOptions } from 'mysql2/promise';
import { StackComponentError } from '../errors/stack-component-error';
import { hostPortOfUrl } from './address';
import { ensureDebianPackage } from './debian';
import { runCommand } from './exec';
import { livePid, readPidFile, commandLineOf } from './process-supervisor';
import { componentLogFile, componentPidFile } from './paths';
import { waitForPort } from './tcp-probe';
import type { HostPort } from '@wlm/commons/net';
import type { ComponentEnv, Reporter, StackComponent } from './types';

const MARIADBD = '/usr/sbin/mariadbd';
const SOCKET = '/run/mysqld/mysqld.sock';
const DATA_DIR = '/var/lib/mysql';

/** Host, port, credentials and database of a `mysql://user:pw@host:port/db` URL. */
export function parseMysqlUrl(url: string): ConnectionOptions & { database: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'wlm';
  // It ends up in CREATE DATABASE, where identifiers cannot be bound as parameters.
  if (!/^[A-Za-z0-9_$]+$/.test(database)) throw new TypeError(`unsupported database name in ${url}`);
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? 3306 : Number(parsed.port),
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
    database,
  };
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

async function withConnection<T>(
  options: ConnectionOptions,
  work: (c: Connection) => Promise<T>,
): Promise<T> {
  const connection = await createConnection({ connectTimeout: 3000, ...options });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

/**
 * A fresh Debian MariaDB lets root in through the Unix socket only. The contract's URL logs in over
 * TCP as root without a password, so when TCP is refused we create that account through the socket.
 */
async function grantTcpAccess(user: string, password: string, report: Reporter): Promise<void> {
  await withConnection({ socketPath: SOCKET, user: 'root' }, async (connection) => {
    await connection.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [user, '127.0.0.1', password]);
    await connection.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [user, '127.0.0.1']);
  });
  report('info', `created ${user}@127.0.0.1 for TCP logins`);
}

/** `start-stop-daemon` runs mariadbd in the background as `mysql` and records its PID for `stack down`. */
function startStopDaemonArgs(pidFile: string, logFile: string, address: HostPort): string[] {
  const daemon = ['--start', '--oknodo', '--background', '--make-pidfile', `--pidfile=${pidFile}`];
  const server = ['--user=mysql', `--bind-address=${address.host}`, `--port=${address.port}`];
  // Without name resolution a TCP login from 127.0.0.1 matches only accounts @127.0.0.1 (see grantTcpAccess).
  server.push('--skip-name-resolve', `--log-error=${logFile}`);
  return [...daemon, `--output=${logFile}`, '--exec', MARIADBD, '--', ...server];
}

/** MariaDB from Debian, used as is when it already answers (as on CI); provisions the `wlm` database. */
export function mariadbComponent({ config, paths }: ComponentEnv): StackComponent {
  const logFile = componentLogFile(paths, 'mariadb');
  const pidFile = componentPidFile(paths, 'mariadb');
  const address = hostPortOfUrl(config.mysql.url, 3306);
  const { database, ...login } = parseMysqlUrl(config.mysql.url);
  return {
    name: 'mariadb',
    address,
    logFile,
    pidFile,
    processMarker: 'mariadbd',
    async start(report: Reporter) {
      await ensureDebianPackage({
        component: 'mariadb',
        binary: MARIADBD,
        packageName: 'mariadb-server',
        logFile,
        report,
      });
      if (!existsSync(`${DATA_DIR}/mysql`)) {
        const init = await runCommand('mariadb-install-db', ['--user=mysql', `--datadir=${DATA_DIR}`], {
          logFile,
        });
        if (init.code !== 0) throw new StackComponentError('mariadb', 'mariadb-install-db failed', logFile);
      }
      // mariadbd runs as mysql: its socket dir and the log it writes must be that user's.
      mkdirSync('/run/mysqld', { recursive: true });
      mkdirSync(paths.logDir, { recursive: true });
      mkdirSync(paths.runDir, { recursive: true });
      if (!existsSync(logFile)) writeFileSync(logFile, '');
      await runCommand('chown', ['mysql:mysql', '/run/mysqld', logFile]);
      const started = await runCommand('start-stop-daemon', startStopDaemonArgs(pidFile, logFile, address), {
        logFile,
      });
      if (started.code !== 0) {
        throw new StackComponentError('mariadb', 'start-stop-daemon could not start mariadbd', logFile);
      }
      const pid = readPidFile(pidFile);
      report('info', `started pid ${pid ?? '?'}, waiting for it to answer`);
      const outcome = await waitForPort({
        address,
        timeoutMs: 60_000,
        report,
        alive: () => pid === undefined || commandLineOf(pid) !== undefined,
      });
      if (!outcome.ok) throw new StackComponentError('mariadb', `did not start: ${outcome.reason}`, logFile);
      if (livePid(pidFile, 'mariadbd') === undefined) report('info', 'a mariadbd already ran; left it alone');
    },
    async provision(report: Reporter) {
      const ensureDatabase = (): Promise<void> =>
        withConnection(login, async (connection) => {
          await connection.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
        });
      try {
        await ensureDatabase();
      } catch (error) {
        const denied =
          errorCode(error) === 'ER_ACCESS_DENIED_ERROR' || errorCode(error) === 'ER_HOST_NOT_PRIVILEGED';
        if (!denied || !existsSync(SOCKET) || process.getuid?.() !== 0) {
          throw new StackComponentError(
            'mariadb',
            `cannot create database ${database}: ${(error as Error).message}`,
            logFile,
            {
              cause: error,
            },
          );
        }
        await grantTcpAccess(login.user ?? 'root', login.password ?? '', report);
        await ensureDatabase();
      }
      report('info', `database ${database} exists`);
    },
    async version() {
      return withConnection(login, async (connection) => {
        const [rows] = await connection.query('SELECT VERSION() AS version');
        const version: unknown = Array.isArray(rows)
          ? (rows[0] as { version?: unknown } | undefined)?.version
          : undefined;
        if (typeof version !== 'string') throw new Error('SELECT VERSION() returned no version');
        return version;
      });
    },
  };
}

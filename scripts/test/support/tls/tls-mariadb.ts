import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { TestCertificates } from './certificates';
import { ServerProcess } from './server-process';
import { waitFor } from '@wlm/test-support';

export const TLS_DB_USER = 'wlm';
export const TLS_DB_PASSWORD = 'wlm-tls-test-password';

/**
 * A MariaDB of its own on `port`: a fresh datadir, TLS with the test CA's certificate, and
 * `require_secure_transport` so that a client without TLS is refused. The user `wlm` may connect
 * from 127.0.0.1 only; root only through the server's own socket (how the test provisions it).
 */
export async function startTlsMariadb(
  dir: string,
  port: number,
  certificates: TestCertificates,
): Promise<ServerProcess> {
  const dataDir = join(dir, 'data');
  const socket = join(dir, 'mariadb.sock');
  mkdirSync(dir, { recursive: true });
  // --no-defaults: nothing from the shared server's /etc/mysql applies to this one.
  execFileSync(
    'mariadb-install-db',
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      '--user=root',
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 },
  );
  const server = new ServerProcess(
    'mariadbd (TLS)',
    'mariadbd',
    [
      '--no-defaults',
      '--user=root',
      `--datadir=${dataDir}`,
      `--socket=${socket}`,
      `--pid-file=${join(dir, 'mariadbd.pid')}`,
      '--bind-address=127.0.0.1',
      `--port=${port}`,
      `--ssl-ca=${certificates.ca}`,
      `--ssl-cert=${certificates.serverCert}`,
      `--ssl-key=${certificates.serverKey}`,
      '--require-secure-transport=ON',
      '--skip-name-resolve',
      '--skip-log-bin',
      '--innodb-buffer-pool-size=32M',
    ],
    join(dir, 'mariadbd.log'),
  );
  try {
    await waitFor(
      'the TLS MariaDB to accept its socket',
      async () => {
        if (!server.running) throw new Error('mariadbd exited');
        const root = await createConnection({ socketPath: socket, user: 'root' }).catch(() => undefined);
        if (root === undefined) return false;
        try {
          await root.query(`CREATE USER IF NOT EXISTS ?@'127.0.0.1' IDENTIFIED BY ?`, [
            TLS_DB_USER,
            TLS_DB_PASSWORD,
          ]);
          await root.query(`GRANT ALL PRIVILEGES ON *.* TO ?@'127.0.0.1'`, [TLS_DB_USER]);
        } finally {
          await root.end();
        }
        return true;
      },
      60_000,
    );
  } catch (error) {
    await server.stop();
    throw new Error(`${(error as Error).message}\n${server.logTail()}`);
  }
  return server;
}

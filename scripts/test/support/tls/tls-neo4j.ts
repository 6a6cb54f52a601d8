import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@wlm/commons/config';
import { ensureNeo4jPassword } from '../../../src/stack/neo4j-auth';
import { neo4jJvmArgs, renderNeo4jConf } from '../../../src/stack/neo4j-conf';
import { NEO4J_MAIN_CLASS } from '../../../src/stack/neo4j';
import { stackPaths } from '../../../src/stack/paths';
import type { TestCertificates } from './certificates';
import { ServerProcess } from './server-process';
import { waitFor } from '@wlm/test-support';
import { portOpen } from '@wlm/commons/net';

export const TLS_GRAPH_PASSWORD = 'wlm-tls-test-password';
const HEAP = '384m';

/**
 * A Neo4j of its own, started as `wlm stack up` starts the stack's (the same jars, `java` with the
 * same options), with its own home, data and Bolt port, and Bolt over TLS required.
 */
export async function startTlsNeo4j(
  dir: string,
  port: number,
  certificates: TestCertificates,
): Promise<ServerProcess> {
  const dirs = {
    conf: join(dir, 'conf'),
    data: join(dir, 'data'),
    logs: join(dir, 'logs'),
    run: join(dir, 'run'),
  };
  const certs = join(dir, 'certificates', 'bolt');
  for (const sub of [...Object.values(dirs), certs]) mkdirSync(sub, { recursive: true });
  copyFileSync(certificates.serverKey, join(certs, 'private.key'));
  copyFileSync(certificates.serverCert, join(certs, 'public.crt'));
  writeFileSync(
    join(dirs.conf, 'neo4j.conf'),
    renderNeo4jConf({
      boltHost: '127.0.0.1',
      boltPort: port,
      dataDir: dirs.data,
      logsDir: dirs.logs,
      runDir: dirs.run,
      heap: HEAP,
      pageCache: '64m',
      boltTlsDir: certs,
    }),
  );
  const lib = stackPaths(loadConfig()).neo4j.lib;
  const server = new ServerProcess(
    'neo4j (TLS)',
    'java',
    [
      ...neo4jJvmArgs(HEAP),
      '-cp',
      join(lib, '*'),
      NEO4J_MAIN_CLASS,
      `--home-dir=${dir}`,
      `--config-dir=${dirs.conf}`,
      '--console-mode',
    ],
    join(dir, 'neo4j.log'),
    { cwd: dir },
  );
  try {
    await waitFor(
      'the TLS Neo4j to listen',
      async () => {
        if (!server.running) throw new Error('neo4j exited');
        return portOpen('127.0.0.1', port);
      },
      180_000,
    );
    // Encrypted, certificate not checked: only to set the first password of the new database.
    const login = { url: `bolt+ssc://127.0.0.1:${port}`, user: 'neo4j', password: TLS_GRAPH_PASSWORD };
    await ensureNeo4jPassword(login, () => undefined, dirs.data);
  } catch (error) {
    await server.stop();
    throw new Error(`${(error as Error).message}\n${server.logTail()}`);
  }
  return server;
}

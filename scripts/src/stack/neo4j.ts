import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostPortOfUrl } from './address';
import { launchServer } from './launch-server';
import { ensureNeo4jPassword, neo4jVersion } from './neo4j-auth';
import { NEO4J_DEFAULT_MEMORY, neo4jJvmArgs, renderNeo4jConf } from './neo4j-conf';
import { ensureNeo4jLib, findJava } from './neo4j-install';
import { componentLogFile, componentPidFile } from './paths';
import type { ComponentEnv, Reporter, StackComponent } from './types';

/** The standalone distribution's main class (`neo4j.mainClass` of org.neo4j.assembly:neo4j-community-standalone). */
export const NEO4J_MAIN_CLASS = 'org.neo4j.server.CommunityEntryPoint';

/**
 * The Neo4j community server, assembled from Maven Central into the stack dir and run with plain
 * `java` (see scripts/neo4j/pom.xml for why not the tarball). Data and logs live under the stack dir.
 */
export function neo4jComponent({ config, paths }: ComponentEnv): StackComponent {
  const logFile = componentLogFile(paths, 'neo4j');
  const pidFile = componentPidFile(paths, 'neo4j');
  const address = hostPortOfUrl(config.neo4j.url, 7687);
  const dirs = paths.neo4j;
  const login = { url: config.neo4j.url, user: config.neo4j.user, password: config.neo4j.password };
  return {
    name: 'neo4j',
    address,
    logFile,
    pidFile,
    processMarker: NEO4J_MAIN_CLASS,
    async start(report: Reporter) {
      const java = await findJava(report, logFile);
      await ensureNeo4jLib({ libDir: dirs.lib, logFile: componentLogFile(paths, 'neo4j-maven'), report });
      for (const dir of [dirs.conf, dirs.data, dirs.logs, dirs.run]) mkdirSync(dir, { recursive: true });
      const { heap, pageCache } = NEO4J_DEFAULT_MEMORY;
      writeFileSync(
        join(dirs.conf, 'neo4j.conf'),
        renderNeo4jConf({
          boltHost: address.host,
          boltPort: address.port,
          dataDir: dirs.data,
          logsDir: dirs.logs,
          runDir: dirs.run,
          heap,
          pageCache,
        }),
      );
      await launchServer({
        component: 'neo4j',
        command: java,
        args: [
          ...neo4jJvmArgs(heap),
          '-cp',
          join(dirs.lib, '*'),
          NEO4J_MAIN_CLASS,
          `--home-dir=${dirs.home}`,
          `--config-dir=${dirs.conf}`,
          // Copies the server's neo4j.log to stdout, so the log an error names holds why it failed.
          '--console-mode',
        ],
        address,
        logFile,
        pidFile,
        timeoutMs: 180_000,
        report,
        cwd: dirs.home,
      });
    },
    async provision(report: Reporter) {
      await ensureNeo4jPassword(login, report, dirs.data);
    },
    version() {
      return neo4jVersion(login);
    },
  };
}

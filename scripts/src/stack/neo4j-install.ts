import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StackComponentError } from '../errors/stack-component-error';
import { ensureDebianPackage } from './debian';
import { findExecutable, runCommand, withProgress } from './exec';
import { javaMajorVersion, neo4jVersionOfPom } from './neo4j-conf';
import type { Reporter } from './types';

/** The Maven project that names the Neo4j server and its version (same path from `src/` and `dist/`). */
export const NEO4J_POM = resolve(__dirname, '../../neo4j/pom.xml');

/** Neo4j 5.26 runs on Java 17 and 21 only. */
const SUPPORTED_JAVA = new Set([17, 21]);

async function javaMajor(java: string): Promise<number | undefined> {
  try {
    const result = await runCommand(java, ['-version']);
    return javaMajorVersion(result.stderr + result.stdout);
  } catch {
    return undefined;
  }
}

function javaCandidates(): string[] {
  const fromHome =
    process.env['JAVA_HOME'] === undefined ? [] : [join(process.env['JAVA_HOME'], 'bin', 'java')];
  const onPath = findExecutable('java');
  let installed: string[] = [];
  try {
    installed = readdirSync('/usr/lib/jvm')
      .sort()
      .map((dir) => join('/usr/lib/jvm', dir, 'bin', 'java'));
  } catch {
    // No JVMs installed the Debian way.
  }
  return [...fromHome, ...(onPath === undefined ? [] : [onPath]), ...installed].filter((file) =>
    existsSync(file),
  );
}

/** A `java` Neo4j 5.26 runs on: JAVA_HOME, PATH, then /usr/lib/jvm; installs Debian's Java 17 when none. */
export async function findJava(report: Reporter, logFile: string): Promise<string> {
  await ensureDebianPackage({
    component: 'neo4j',
    binary: 'java',
    packageName: 'openjdk-17-jre-headless',
    logFile,
    report,
  });
  for (const candidate of javaCandidates()) {
    if (SUPPORTED_JAVA.has((await javaMajor(candidate)) ?? 0)) return candidate;
  }
  throw new StackComponentError(
    'neo4j',
    'Neo4j 5.26 needs Java 17 or 21 and none was found; install openjdk-17-jre-headless or set JAVA_HOME',
    undefined,
  );
}

function pomDigest(pom: string): string {
  return createHash('sha256').update(pom).digest('hex');
}

export interface Neo4jLibRequest {
  readonly libDir: string;
  /** Maven's output, named when the download fails. */
  readonly logFile: string;
  readonly report: Reporter;
}

/**
 * Puts the Neo4j server and its dependencies into `libDir` with Maven (the jars are cached in ~/.m2,
 * so only the first run downloads). Skipped when `libDir` was filled from this very pom. Returns the
 * Neo4j version.
 */
export async function ensureNeo4jLib({ libDir, logFile, report }: Neo4jLibRequest): Promise<string> {
  const pom = readFileSync(NEO4J_POM, 'utf8');
  const version = neo4jVersionOfPom(pom);
  if (version === undefined)
    throw new StackComponentError('neo4j', `no <neo4j.version> in ${NEO4J_POM}`, undefined);
  const marker = join(libDir, '.wlm-pom-sha256');
  const digest = pomDigest(pom);
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === digest) return version;

  await ensureDebianPackage({ component: 'neo4j', binary: 'mvn', packageName: 'maven', logFile, report });
  rmSync(libDir, { recursive: true, force: true });
  mkdirSync(libDir, { recursive: true });
  const copy = runCommand(
    'mvn',
    ['-B', '-q', '-f', NEO4J_POM, 'dependency:copy-dependencies', `-DoutputDirectory=${libDir}`],
    { logFile },
  );
  const result = await withProgress(
    report,
    {
      start: `fetching Neo4j ${version} with Maven (the first run downloads ~120 MB)`,
      still: 'fetching Neo4j jars',
    },
    copy,
  );
  if (result.code !== 0 || !existsSync(join(libDir, `neo4j-${version}.jar`))) {
    throw new StackComponentError('neo4j', `Maven could not fetch Neo4j ${version}`, logFile);
  }
  writeFileSync(marker, `${digest}\n`);
  report('info', `Neo4j ${version} jars are in ${libDir}`);
  return version;
}

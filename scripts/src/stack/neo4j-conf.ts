/** What the stack's neo4j.conf is generated from. */
export interface Neo4jConfInput {
  readonly boltHost: string;
  readonly boltPort: number;
  readonly dataDir: string;
  readonly logsDir: string;
  readonly runDir: string;
  /** JVM heap, e.g. `512m`; the JVM is started with the same value (see {@link neo4jJvmArgs}). */
  readonly heap: string;
  readonly pageCache: string;
  /**
   * Bolt over TLS only: a directory holding `private.key` and `public.crt` (PEM). Default: plain Bolt,
   * as the local stack serves it.
   */
  readonly boltTlsDir?: string;
}

/** Modest memory: the stack shares a small machine with RabbitMQ, MariaDB and wlm itself. */
export const NEO4J_DEFAULT_MEMORY = { heap: '512m', pageCache: '256m' } as const;

/**
 * neo4j.conf for a single local server: Bolt on one address, the HTTP connectors off (wlm speaks Bolt
 * only, and every open port is one more to keep on 127.0.0.1), authentication on, usage reports off.
 */
export function renderNeo4jConf(input: Neo4jConfInput): string {
  return [
    '# Written by `wlm stack up`; rewritten on every start.',
    `server.default_listen_address=${input.boltHost}`,
    `server.default_advertised_address=${input.boltHost}`,
    'server.bolt.enabled=true',
    `server.bolt.listen_address=${input.boltHost}:${input.boltPort}`,
    `server.bolt.advertised_address=${input.boltHost}:${input.boltPort}`,
    ...boltTlsLines(input.boltTlsDir),
    'server.http.enabled=false',
    'server.https.enabled=false',
    'dbms.security.auth_enabled=true',
    `server.memory.heap.initial_size=${input.heap}`,
    `server.memory.heap.max_size=${input.heap}`,
    `server.memory.pagecache.size=${input.pageCache}`,
    `server.directories.data=${input.dataDir}`,
    `server.directories.logs=${input.logsDir}`,
    `server.directories.run=${input.runDir}`,
    'dbms.usage_report.enabled=false',
    '',
  ].join('\n');
}

function boltTlsLines(certificatesDir: string | undefined): string[] {
  if (certificatesDir === undefined) return ['server.bolt.tls_level=DISABLED'];
  return [
    'server.bolt.tls_level=REQUIRED',
    'dbms.ssl.policy.bolt.enabled=true',
    `dbms.ssl.policy.bolt.base_directory=${certificatesDir}`,
    'dbms.ssl.policy.bolt.private_key=private.key',
    'dbms.ssl.policy.bolt.public_certificate=public.crt',
    'dbms.ssl.policy.bolt.client_auth=NONE',
  ];
}

/**
 * JVM options for CommunityEntryPoint started directly with `java`: the `neo4j` launcher script would
 * add these itself (heap from the config, module opens for its page cache and Netty).
 */
export function neo4jJvmArgs(heap: string): string[] {
  return [
    `-Xms${heap}`,
    `-Xmx${heap}`,
    '-XX:+UseG1GC',
    '-XX:-OmitStackTraceInFastThrow',
    '-XX:+DisableExplicitGC',
    '-Djdk.nio.maxCachedBufferSize=1024',
    '-Dio.netty.tryReflectionSetAccessible=true',
    '-Dlog4j2.disable.jmx=true',
    '-Dfile.encoding=UTF-8',
    '--add-opens=java.base/java.nio=ALL-UNNAMED',
    '--add-opens=java.base/java.io=ALL-UNNAMED',
    '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  ];
}

/** The value of `<neo4j.version>` in the stack's pom.xml. */
export function neo4jVersionOfPom(pom: string): string | undefined {
  return /<neo4j\.version>\s*([^<\s]+)\s*<\/neo4j\.version>/.exec(pom)?.[1];
}

/** The `java -version` major version (`openjdk version "17.0.15"` → 17, `"1.8.0_392"` → 8). */
export function javaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (match?.[1] === undefined) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

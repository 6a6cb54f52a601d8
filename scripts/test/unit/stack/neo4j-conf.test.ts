import { readFileSync } from 'node:fs';
import {
  javaMajorVersion,
  neo4jJvmArgs,
  neo4jVersionOfPom,
  renderNeo4jConf,
} from '../../../src/stack/neo4j-conf';
import { NEO4J_POM } from '../../../src/stack/neo4j-install';

function settings(conf: string): Map<string, string> {
  const entries = conf
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1)] as const;
    });
  return new Map(entries);
}

describe('renderNeo4jConf', () => {
  const conf = settings(
    renderNeo4jConf({
      boltHost: '127.0.0.1',
      boltPort: 7687,
      dataDir: '/stack/neo4j/data',
      logsDir: '/stack/neo4j/logs',
      runDir: '/stack/neo4j/run',
      heap: '512m',
      pageCache: '256m',
    }),
  );

  it('listens with Bolt on the configured address only and turns HTTP off', () => {
    expect(conf.get('server.default_listen_address')).toBe('127.0.0.1');
    expect(conf.get('server.bolt.enabled')).toBe('true');
    expect(conf.get('server.bolt.listen_address')).toBe('127.0.0.1:7687');
    expect(conf.get('server.http.enabled')).toBe('false');
    expect(conf.get('server.https.enabled')).toBe('false');
  });

  it('serves plain Bolt unless given certificates, and Bolt over TLS only when given them', () => {
    expect(conf.get('server.bolt.tls_level')).toBe('DISABLED');
    expect(conf.has('dbms.ssl.policy.bolt.enabled')).toBe(false);
    const tls = settings(
      renderNeo4jConf({
        boltHost: '127.0.0.1',
        boltPort: 7687,
        dataDir: '/d',
        logsDir: '/l',
        runDir: '/r',
        heap: '512m',
        pageCache: '256m',
        boltTlsDir: '/certs/bolt',
      }),
    );
    expect(tls.get('server.bolt.tls_level')).toBe('REQUIRED');
    expect(tls.get('dbms.ssl.policy.bolt.enabled')).toBe('true');
    expect(tls.get('dbms.ssl.policy.bolt.base_directory')).toBe('/certs/bolt');
    expect(tls.get('dbms.ssl.policy.bolt.private_key')).toBe('private.key');
    expect(tls.get('dbms.ssl.policy.bolt.public_certificate')).toBe('public.crt');
  });

  it('keeps authentication on', () => {
    expect(conf.get('dbms.security.auth_enabled')).toBe('true');
  });

  it('puts data, logs and run files under the given directories', () => {
    expect(conf.get('server.directories.data')).toBe('/stack/neo4j/data');
    expect(conf.get('server.directories.logs')).toBe('/stack/neo4j/logs');
    expect(conf.get('server.directories.run')).toBe('/stack/neo4j/run');
  });

  it('sizes the heap and page cache modestly', () => {
    expect(conf.get('server.memory.heap.max_size')).toBe('512m');
    expect(conf.get('server.memory.pagecache.size')).toBe('256m');
  });

  it('writes each setting once', () => {
    const keys = renderNeo4jConf({
      boltHost: 'h',
      boltPort: 1,
      dataDir: 'd',
      logsDir: 'l',
      runDir: 'r',
      heap: '1g',
      pageCache: '1g',
    })
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => line.split('=')[0]);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('neo4jJvmArgs', () => {
  it('starts the JVM with the heap the config names', () => {
    expect(neo4jJvmArgs('768m')).toEqual(expect.arrayContaining(['-Xms768m', '-Xmx768m']));
  });
});

describe('neo4jVersionOfPom', () => {
  it('reads the 5.26 LTS version from the checked-in pom', () => {
    expect(neo4jVersionOfPom(readFileSync(NEO4J_POM, 'utf8'))).toMatch(/^5\.26\.\d+$/);
  });

  it('is undefined without a neo4j.version property', () => {
    expect(neo4jVersionOfPom('<project></project>')).toBeUndefined();
  });
});

describe('javaMajorVersion', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_392"', 8],
    ['openjdk version "25.0.1" 2025-10-21 LTS', 25],
  ])('%s → %d', (output, major) => {
    expect(javaMajorVersion(output)).toBe(major);
  });

  it('is undefined for output it does not know', () => {
    expect(javaMajorVersion('command not found')).toBeUndefined();
  });
});

import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@wlm/commons/config';
import { ConfigError } from '@wlm/commons/errors';

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wlm-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function configError(run: () => unknown): ConfigError {
    try {
      run();
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('expected a ConfigError');
  }

  it('fills in the local stack defaults of the contract', () => {
    const config = loadConfig({ env: {} });
    expect(config.rabbitmq.url).toBe('amqp://guest:guest@127.0.0.1:5672');
    expect(config.mysql.url).toBe('mysql://root@127.0.0.1:3306/wlm');
    expect(config.neo4j).toEqual({
      url: 'bolt://127.0.0.1:7687',
      user: 'neo4j',
      password: 'wlm-dev-password',
      timeoutMs: 10_000,
    });
    expect(config.mysql.timeoutMs).toBe(10_000);
    expect(config.leader).toEqual({ leaseSeconds: 10, handoverTimeoutMs: 3000, eventBatchesInFlight: 1 });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.api.tokens).toEqual([{ name: 'token-1', secret: 'wlm-dev-token', scopes: ['admin'] }]);
    expect(config.serf.rpcAddr).toBe('127.0.0.1:7373');
    expect(config.ssh.port).toBe(2222);
    expect(config.smtp).toMatchObject({ host: '127.0.0.1', port: 2525, adminEmail: 'admin@localhost' });
  });

  it('lets WLM_* variables override the file, and the file override defaults', () => {
    const file = join(dir, 'wlm.yaml');
    writeFileSync(file, 'http:\n  port: 9090\nneo4j:\n  password: from-the-file\n');
    const config = loadConfig({
      env: { WLM_NEO4J_PASSWORD: 'from-the-env', WLM_API_TOKEN: 'token-one1, token-two2' },
      file,
    });
    expect(config.http.port).toBe(9090);
    expect(config.neo4j.password).toBe('from-the-env');
    expect(config.api.tokens.map((token) => token.secret)).toEqual(['token-one1', 'token-two2']);
  });

  it('reads the store and leader time limits from WLM_* variables', () => {
    const config = loadConfig({
      env: {
        WLM_MYSQL_TIMEOUT_MS: '2500',
        WLM_NEO4J_TIMEOUT_MS: '3500',
        WLM_LEADER_LEASE_SECONDS: '4',
        WLM_LEADER_HANDOVER_TIMEOUT_MS: '500',
        WLM_LEADER_EVENT_BATCHES_IN_FLIGHT: '4',
      },
    });
    expect(config.mysql.timeoutMs).toBe(2500);
    expect(config.neo4j.timeoutMs).toBe(3500);
    expect(config.leader).toEqual({ leaseSeconds: 4, handoverTimeoutMs: 500, eventBatchesInFlight: 4 });
    expect(configError(() => loadConfig({ env: { WLM_LEADER_EVENT_BATCHES_IN_FLIGHT: '0' } })).key).toBe(
      'leader.eventBatchesInFlight',
    );
    expect(configError(() => loadConfig({ env: { WLM_LEADER_LEASE_SECONDS: '1' } })).key).toBe(
      'leader.leaseSeconds',
    );
  });

  it('reads the file named by WLM_CONFIG, JSON included', () => {
    const file = join(dir, 'wlm.json');
    writeFileSync(file, JSON.stringify({ smtp: { port: 2626 } }));
    expect(loadConfig({ env: { WLM_CONFIG: file } }).smtp.port).toBe(2626);
  });

  it('names the key and the variable of a bad value', () => {
    const error = configError(() => loadConfig({ env: { WLM_HTTP_PORT: 'eighty' } }));
    expect(error.key).toBe('http.port');
    expect(error.message).toContain('WLM_HTTP_PORT');
  });

  it('names the key and the file of a bad value in a file', () => {
    const file = join(dir, 'wlm.yaml');
    writeFileSync(file, 'serf:\n  rpcAddr: nowhere\n');
    const error = configError(() => loadConfig({ env: {}, file }));
    expect(error.key).toBe('serf.rpcAddr');
    expect(error.message).toContain(file);
  });

  it('rejects an unknown key rather than ignoring a typo', () => {
    const file = join(dir, 'wlm.yaml');
    writeFileSync(file, 'rabbitmq:\n  uri: amqp://elsewhere\n');
    expect(configError(() => loadConfig({ env: {}, file })).message).toContain('uri');
  });

  it('says which file cannot be read or parsed', () => {
    expect(configError(() => loadConfig({ env: {}, file: join(dir, 'missing.yaml') })).message).toContain(
      'missing.yaml',
    );
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ not json');
    expect(configError(() => loadConfig({ env: {}, file: broken })).key).toBe('WLM_CONFIG');
  });
});

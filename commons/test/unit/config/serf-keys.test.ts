import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/errors';
import { loadConfig } from '../../../src/config';

describe('Serf keys from files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'serf-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function stackKeys(): void {
    mkdirSync(join(dir, 'serf'));
    writeFileSync(join(dir, 'serf', 'gossip.key'), 'c3RhY2sta2V5\n');
    writeFileSync(join(dir, 'serf', 'rpc-auth.key'), 'stack-rpc\n');
  }

  it("reads the stack's keys by default, when the stack generated them", () => {
    expect(loadConfig({ env: { WLM_STACK_DIR: dir } }).serf.encryptKey).toBeUndefined();
    stackKeys();
    expect(loadConfig({ env: { WLM_STACK_DIR: dir } }).serf).toMatchObject({
      encryptKey: 'c3RhY2sta2V5',
      rpcAuthKey: 'stack-rpc',
    });
  });

  it('prefers configured key files, and a key given as a value over any file', () => {
    stackKeys();
    writeFileSync(join(dir, 'rpc'), 'from-file');
    const env = {
      WLM_STACK_DIR: dir,
      WLM_SERF_RPC_AUTH_KEY_FILE: join(dir, 'rpc'),
      WLM_SERF_ENCRYPT_KEY: 'dmFsdWU=',
    };
    expect(loadConfig({ env }).serf).toMatchObject({ encryptKey: 'dmFsdWU=', rpcAuthKey: 'from-file' });
  });

  it('names the key and the file when a configured key file cannot be read', () => {
    const env = { WLM_STACK_DIR: dir, WLM_SERF_ENCRYPT_KEY_FILE: join(dir, 'missing.key') };
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(/serf\.encryptKeyFile.*missing\.key/);
  });
});

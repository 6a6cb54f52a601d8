import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serfAgentConfig, writeSerfAgentConfig } from '../../../src/serf';

describe('serf agent config', () => {
  it('sets the fast timing profile and forgets dead members, with keys only when given', () => {
    expect(serfAgentConfig({})).toEqual({
      profile: 'local',
      reconnect_interval: '3s',
      reconnect_timeout: '10m',
      tombstone_timeout: '10m',
    });
    expect(serfAgentConfig({ encryptKey: 'a2V5', rpcAuthKey: 'secret' })).toMatchObject({
      encrypt_key: 'a2V5',
      rpc_auth: 'secret',
    });
  });

  it('writes a file only its owner can read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serf-config-test-'));
    try {
      const file = writeSerfAgentConfig(join(dir, 'agent.json'), { rpcAuthKey: 'secret' });
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ rpc_auth: 'secret' });
      expect(statSync(file).mode & 0o077).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

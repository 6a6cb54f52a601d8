import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@wlm/commons/config';
import { stackComputeResource } from '../../../src/stack/compute-resource';
import { stackPaths } from '../../../src/stack/paths';

describe('stackComputeResource', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wlm-resource-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('describes the stack sshd and SLURM cluster with absolute paths', () => {
    const config = loadConfig({ env: { WLM_STACK_DIR: dir, WLM_SSH_PORT: '2200' } });
    expect(stackComputeResource(config, '/')).toEqual({
      host: '127.0.0.1',
      port: 2200,
      user: userInfo().username,
      privateKeyFile: join(dir, 'ssh', 'id_ed25519'),
      knownHostsFile: join(dir, 'ssh', 'known_hosts'),
      workRoot: join(dir, 'hpc-work'),
      batchSystem: 'slurm',
      defaultQueue: 'debug',
      env: { SLURM_CONF: join(dir, 'slurm', 'slurm.conf') },
    });
  });

  it('creates the work root, mode 0755, whatever the umask', () => {
    const config = loadConfig({ env: { WLM_STACK_DIR: dir } });
    const previous = process.umask(0o077);
    try {
      const { workRoot } = stackComputeResource(config, '/');
      expect(statSync(workRoot).isDirectory()).toBe(true);
      expect(statSync(workRoot).mode & 0o777).toBe(0o755);
    } finally {
      process.umask(previous);
    }
  });

  it('puts every SLURM path of the stack under <stack dir>/slurm', () => {
    const { slurm } = stackPaths(loadConfig({ env: { WLM_STACK_DIR: dir } }), '/');
    expect(slurm.conf).toBe(join(dir, 'slurm', 'slurm.conf'));
    for (const path of [slurm.stateDir, slurm.spoolDir, slurm.logDir, slurm.runDir]) {
      expect(path.startsWith(join(dir, 'slurm') + '/')).toBe(true);
    }
  });
});

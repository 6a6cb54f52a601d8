import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@wlm/commons/config';
import { findProjectRoot, stackPaths } from '../../../src/stack/paths';

describe('stack paths', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'wlm-paths-'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ workspaces: ['scripts'] }));
    mkdirSync(join(root, 'scripts', 'src'), { recursive: true });
    writeFileSync(join(root, 'scripts', 'package.json'), JSON.stringify({ name: '@wlm/scripts' }));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('anchors a relative stack dir at the workspaces root, from any folder below it', () => {
    const config = loadConfig({ env: {} });
    expect(findProjectRoot(join(root, 'scripts', 'src'))).toBe(root);
    expect(stackPaths(config, join(root, 'scripts')).dir).toBe(join(root, '.wlm'));
  });

  it('keeps an absolute stack dir as it is', () => {
    const config = loadConfig({ env: { WLM_STACK_DIR: '/var/tmp/stack' } });
    const paths = stackPaths(config, root);
    expect(paths.dir).toBe('/var/tmp/stack');
    expect(paths.ssh.clientKey).toBe('/var/tmp/stack/ssh/id_ed25519');
    expect(paths.ssh.hostPublicKey).toBe('/var/tmp/stack/ssh/ssh_host_ed25519_key.pub');
  });
});

import { loadConfig } from '@wlm/commons/config';
import { computeResourceSchema } from '@wlm/commons/remote';
import type { ComputeResource, ComputeResourceInput } from '@wlm/commons/remote';
import { userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';

const repoRoot = join(__dirname, '..', '..', '..', '..');

/** The files `wlm stack up` keeps for its sshd (see scripts/src/stack/paths.ts). */
export interface StackSshFiles {
  readonly dir: string;
  /** The client key authorized for the current user. */
  readonly clientKey: string;
  /** known_hosts pinning `[host]:port` to the stack's host key. */
  readonly knownHosts: string;
  readonly hostPublicKey: string;
  /** The work root of the stack's compute resource. */
  readonly workRoot: string;
}

/** Where the stack keeps its SSH files: `stack.dir` (relative to the repo root), then `ssh/`. */
export function stackSshFiles(): StackSshFiles {
  const config = loadConfig();
  const stackDir = isAbsolute(config.stack.dir) ? config.stack.dir : join(repoRoot, config.stack.dir);
  const dir = join(stackDir, 'ssh');
  return {
    dir,
    clientKey: join(dir, 'id_ed25519'),
    knownHosts: join(dir, 'known_hosts'),
    hostPublicKey: join(dir, 'ssh_host_ed25519_key.pub'),
    workRoot: join(stackDir, 'hpc-work'),
  };
}

/** Settings to replace; `undefined` removes one (e.g. `knownHostsFile` when pinning `hostKey`). */
export type ResourceOverrides = { [K in keyof ComputeResourceInput]?: ComputeResourceInput[K] | undefined };

/**
 * A compute resource for the local stack's sshd (config `ssh.host`/`ssh.port`), logged in with the
 * stack's client key (authorized for the current user) and pinned by its known_hosts.
 */
export function stackSshResource(name: string, overrides: ResourceOverrides = {}): ComputeResource {
  const config = loadConfig();
  const files = stackSshFiles();
  const settings = computeResourceSchema.parse({
    host: config.ssh.host,
    port: config.ssh.port,
    user: userInfo().username,
    privateKeyFile: files.clientKey,
    knownHostsFile: files.knownHosts,
    workRoot: files.workRoot,
    batchSystem: 'local',
    ...overrides,
  });
  return { ...settings, name };
}

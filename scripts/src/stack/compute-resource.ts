import { chmodSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { WlmConfig } from '@wlm/commons/config';
import { stackPaths } from './paths';
import { SLURM_PARTITION } from './slurm-conf';

/**
 * The stack's SSH + SLURM compute resource, as a plain object. Its fields match the compute resource
 * schema of @wlm/commons, which validates it where it is consumed.
 */
export interface StackComputeResource {
  readonly host: string;
  readonly port: number;
  /** The user the stack's sshd lets in with {@link privateKeyFile}: whoever runs the stack. */
  readonly user: string;
  readonly privateKeyFile: string;
  /** Pins the stack's sshd host key. */
  readonly knownHostsFile: string;
  /** Absolute; exists (mode 0755) once this function returns. */
  readonly workRoot: string;
  readonly batchSystem: 'slurm';
  /** The stack cluster's only partition. */
  readonly defaultQueue: string;
  /** For every SLURM command run on the resource; sshd accepts no environment, so put it on the command line. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The compute resource the stack offers once `wlm stack up --with-slurm` runs: its sshd on
 * `config.ssh`, and its single-node SLURM cluster. Creates the work root when missing.
 *
 * @example
 * ```ts
 * const resource = stackComputeResource(loadConfig(), process.cwd());
 * // ssh -i resource.privateKeyFile -p resource.port resource.user@resource.host \
 * //   "SLURM_CONF=${resource.env.SLURM_CONF} sbatch -p ${resource.defaultQueue} …"
 * ```
 */
export function stackComputeResource(config: WlmConfig, cwd: string = process.cwd()): StackComputeResource {
  const paths = stackPaths(config, cwd);
  mkdirSync(paths.workRoot, { recursive: true, mode: 0o755 });
  // mkdir's mode passes through the umask, and an existing folder keeps whatever mode it had.
  chmodSync(paths.workRoot, 0o755);
  return {
    host: config.ssh.host,
    port: config.ssh.port,
    user: userInfo().username,
    privateKeyFile: paths.ssh.clientKey,
    knownHostsFile: paths.ssh.knownHosts,
    workRoot: paths.workRoot,
    batchSystem: 'slurm',
    defaultQueue: SLURM_PARTITION,
    env: { SLURM_CONF: paths.slurm.conf },
  };
}

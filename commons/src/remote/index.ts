/**
 * Compute resources (HPC hosts reached over SSH) and a pool of SSH connections to them, for task
 * plugins that set up environments, stage data and submit jobs. Plugins import it as
 * `@wlm/commons/remote`, beside the plugin SDK.
 *
 * @example
 * ```ts
 * import { computeResource, sharedSshPool, shellQuote } from '@wlm/commons/remote';
 * const resource = computeResource(config, 'hpc'); // config.resources.hpc
 * const ssh = await sharedSshPool().connect(resource, signal);
 * await ssh.run(`mkdir -p ${shellQuote(`${resource.workRoot}/exp-42`)}`, { signal });
 * const sftp = await ssh.sftp();
 * ```
 */
export { computeResource, computeResourceSchema } from './compute-resource';
export type { ComputeResource, ComputeResourceInput } from './compute-resource';
export { shellQuote } from './remote-shell';
export { runDirectory } from './run-directory';
export { resourceForTask } from './resource-for-task';
export type { CommandResult, ExecOptions, RemoteShell } from './remote-shell';
export { SshPool, sharedSshPool } from './ssh-pool';
export type { SshConnection, SshPoolOptions } from './ssh-pool';
export { ComputeResourceError, RemoteCommandError, SshError } from './ssh-errors';
export type { SshErrorCode } from './ssh-errors';
export {
  PATH_OUTSIDE_ROOTS,
  checkInsideRoots,
  isInsideRoot,
  normalizedPath,
  outsideRootsFailure,
  resourceRoots,
} from './path-roots';
export type { PathRoots } from './path-roots';

/**
 * Compute resources (HPC hosts reached over SSH) and a pool of SSH connections to them, for task
 * plugins that set up environments, stage data and submit jobs. Plugins import it as
 * `@wlm/commons/remote`, beside the plugin SDK.
 *
 * @example
 * ```ts
 * import { sharedSshPool, shellQuote } from '@wlm/commons/remote';
 * // In a plugin's run(ctx, signal): the worker's `resources.hpc`, handed to the task by the worker.
 * const resource = ctx.resources.get('hpc');
 * const ssh = await sharedSshPool().connect(resource, signal);
 * await ssh.run(`mkdir -p ${shellQuote(`${resource.workRoot}/exp-42`)}`, { signal });
 * const sftp = await ssh.sftp();
 * ```
 */
export { computeResource, computeResourceSchema, computeResourcesSchema } from './compute-resource';
export type { ComputeResource, ComputeResourceInput, ComputeResourcesConfig } from './compute-resource';
export { shellQuote } from './remote-shell';
export { runDirectory } from './run-directory';
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

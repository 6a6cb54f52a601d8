import { TaskFailure, definePlugin, taskFailureOf } from '@wlm/commons/plugin';
import {
  RemoteCommandError,
  checkInsideRoots,
  normalizedPath,
  resourceRoots,
  runDirectory,
  sharedSshPool,
  shellQuote,
} from '@wlm/commons/remote';
import type { ComputeResource, SshConnection } from '@wlm/commons/remote';
import { envSetupOutputsSchema, envSetupParamsSchema } from './env-setup-params';
import type { EnvSetupOutputs } from './env-setup-params';
import { runPaths } from './run-paths';
import type { RunPaths } from './run-paths';
import { commandOutput, lastStartedStep, setupScript } from './setup-script';

/** Codes of the failures this plugin throws (besides the SSH layer's, e.g. `RESOURCE_UNKNOWN`). */
export const ENV_SETUP_FAILURE_CODES = {
  /** The work directory could not be created (permissions, a file in the way); not retryable. */
  WORK_DIR_UNAVAILABLE: 'WORK_DIR_UNAVAILABLE',
  /** A setup command exited non-zero; not retryable. */
  SETUP_COMMAND_FAILED: 'SETUP_COMMAND_FAILED',
} as const;

/** How much of a failed command's stderr the failure quotes, like `RemoteShell.run`. */
const STDERR_TAIL_BYTES = 2048;
/** How much of the commands' stdout goes to the task log. */
const LOGGED_STDOUT_CHARS = 4096;

/**
 * `env-setup`: creates the run directory `<workRoot>/<experimentId>/<run>` (or `workDir`) with
 * `inputs/`, `outputs/` and `logs/` on a compute resource — idempotently — then runs the setup
 * commands there in one shell, stopping at the first that fails.
 */
export const plugin = definePlugin({
  name: 'env-setup',
  version: '0.1.0',
  description: "Prepares an experiment's run directory on a compute resource and runs its setup commands",
  inputSchema: envSetupParamsSchema,
  outputSchema: envSetupOutputsSchema,
  async run(ctx, signal): Promise<EnvSetupOutputs> {
    const { params } = ctx;
    const resource = ctx.resources.get(params.resource);
    const paths = runPaths(workDirOf(params.workDir, resource) ?? runDirectory(resource.workRoot, ctx));
    try {
      const ssh = await sharedSshPool().connect(resource, signal);
      ctx.progress(`creating ${paths.workDir} on compute resource "${resource.name}"`);
      await createDirectories(ssh, paths, signal);
      const commands = params.setupCommands;
      if (commands.length > 0) {
        ctx.progress(
          `running ${commands.length} setup command${commands.length === 1 ? '' : 's'} in ${paths.workDir}`,
        );
        const stdout = await runSetupCommands(ssh, paths.workDir, commands, signal);
        ctx.logger.debug({ stdout: stdout.slice(-LOGGED_STDOUT_CHARS) }, 'setup commands done');
      }
      ctx.progress(`environment ready in ${paths.workDir}`, 100);
      return { resource: resource.name, ...paths };
    } catch (error) {
      throw taskFailureOf(error);
    }
  },
});
export default plugin;

/** The `workDir` param normalised, once it is known to lie inside the resource's roots. */
function workDirOf(workDir: string | undefined, resource: ComputeResource): string | undefined {
  if (workDir === undefined) return undefined;
  const path = normalizedPath(workDir);
  checkInsideRoots('workDir', path, resourceRoots(resource));
  return path;
}

async function createDirectories(ssh: SshConnection, paths: RunPaths, signal: AbortSignal): Promise<void> {
  const dirs = [paths.inputsDir, paths.outputsDir, paths.logsDir].map(shellQuote).join(' ');
  try {
    await ssh.run(`mkdir -p -- ${dirs}`, { signal });
  } catch (error) {
    if (!(error instanceof RemoteCommandError)) throw error;
    throw TaskFailure.nonRetryable(
      ENV_SETUP_FAILURE_CODES.WORK_DIR_UNAVAILABLE,
      `cannot create the work directory ${paths.workDir}: ${error.message}`,
      error,
    );
  }
}

/** Runs the commands in one shell; resolves with what they printed, or fails naming the one that failed. */
async function runSetupCommands(
  ssh: SshConnection,
  workDir: string,
  commands: readonly string[],
  signal: AbortSignal,
): Promise<string> {
  const result = await ssh.exec(setupScript(workDir, commands), { signal });
  if (result.exitCode === 0) return commandOutput(result.stdout);
  const step = lastStartedStep(result.stdout);
  const command = step === undefined ? `cd ${shellQuote(workDir)}` : (commands[step - 1] ?? '');
  const failed = new RemoteCommandError(ssh.resource, command, result.exitCode, tail(result.stderr));
  const which =
    step === undefined ? 'entering the work directory' : `setup command ${step} of ${commands.length}`;
  throw TaskFailure.nonRetryable(
    ENV_SETUP_FAILURE_CODES.SETUP_COMMAND_FAILED,
    `${which} failed: ${failed.message}`,
    failed,
  );
}

function tail(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= STDERR_TAIL_BYTES
    ? text
    : bytes.subarray(bytes.length - STDERR_TAIL_BYTES).toString('utf8');
}

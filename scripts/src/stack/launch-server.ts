import { StackComponentError } from '../errors/stack-component-error';
import { commandLineOf, removePidFile, spawnDetached, stopProcess } from './process-supervisor';
import type { DetachedProcess } from './process-supervisor';
import { waitForPort } from './tcp-probe';
import type { HostPort, ComponentName, Reporter } from './types';

export interface LaunchServerOptions {
  readonly component: ComponentName;
  readonly command: string;
  readonly args: readonly string[];
  readonly address: HostPort;
  readonly logFile: string;
  readonly pidFile: string;
  readonly timeoutMs: number;
  readonly report: Reporter;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/**
 * Starts a server that stays in the foreground of its own session, records its PID and waits for its
 * port. A server that dies or never answers is stopped and reported with its log file.
 */
export async function launchServer(options: LaunchServerOptions): Promise<number> {
  const { component, address, logFile, pidFile, report } = options;
  let started: DetachedProcess;
  try {
    started = await spawnDetached({
      command: options.command,
      args: options.args,
      logFile,
      pidFile,
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
  } catch (error) {
    throw new StackComponentError(component, (error as Error).message, logFile, { cause: error });
  }
  const { pid, exited } = started;
  report('info', `started pid ${pid}, waiting for it to answer`);
  const outcome = await waitForPort({ address, timeoutMs: options.timeoutMs, report, exited });
  if (!outcome.ok) {
    // A half-started server must not keep the port, nor a PID file that `down` would trust.
    if (commandLineOf(pid) !== undefined) await stopProcess(pid, 10_000);
    removePidFile(pidFile);
    throw new StackComponentError(component, `did not start: ${outcome.reason}`, logFile);
  }
  return pid;
}

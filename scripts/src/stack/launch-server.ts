import { StackComponentError } from '../errors/stack-component-error';
import { commandLineOf, removePidFile, spawnDetached, stopProcess } from './process-supervisor';
import type { DetachedProcess } from './process-supervisor';
import { waitForPort } from './tcp-probe';
import type { ComponentName, Endpoint, Reporter } from './types';

export interface LaunchServerOptions {
  readonly component: ComponentName;
  /** Names the daemon in progress and errors, for a component of several daemons (`slurmctld`). */
  readonly label?: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Where it answers once started: a TCP port or, for munged, a Unix socket. */
  readonly address: Endpoint;
  /** How to tell it answers; by default, whether {@link address} accepts a connection. */
  readonly probe?: () => boolean | Promise<boolean>;
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
  const { component, address, logFile, pidFile } = options;
  const prefix = options.label === undefined ? '' : `${options.label} `;
  const report: Reporter = (kind, message, elapsedMs) => options.report(kind, prefix + message, elapsedMs);
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
    throw new StackComponentError(component, prefix + (error as Error).message, logFile, { cause: error });
  }
  const { pid, exited } = started;
  report('info', `started pid ${pid}, waiting for it to answer`);
  const outcome = await waitForPort({
    address,
    timeoutMs: options.timeoutMs,
    report,
    exited,
    ...(options.probe === undefined ? {} : { probe: options.probe }),
  });
  if (!outcome.ok) {
    // A half-started server must not keep the port, nor a PID file that `down` would trust.
    if (commandLineOf(pid) !== undefined) await stopProcess(pid, 10_000);
    removePidFile(pidFile);
    throw new StackComponentError(component, `${prefix}did not start: ${outcome.reason}`, logFile);
  }
  return pid;
}

import { spawn } from 'node:child_process';
import { TailBuffer } from '@wlm/commons/plugin';

export interface CommandSpec {
  command: string;
  args: readonly string[];
  cwd?: string;
  env: NodeJS.ProcessEnv;
  shell: boolean;
  timeoutMs?: number;
  /** Kept of each of stdout and stderr. */
  tailChars: number;
  /** Between SIGTERM to the process group and SIGKILL. */
  killGraceMs: number;
}

export type CommandResult =
  | {
      kind: 'exited';
      exitCode: number | null;
      signal: NodeJS.Signals | null;
      stdout: TailBuffer;
      stderr: TailBuffer;
    }
  | { kind: 'timed-out'; stdout: TailBuffer; stderr: TailBuffer }
  | { kind: 'aborted'; stdout: TailBuffer; stderr: TailBuffer }
  | { kind: 'spawn-failed'; error: Error };

/** How long to wait for the pipes to close after the command exits; a daemon may hold them open. */
const PIPE_DRAIN_MS = 500;

/**
 * Runs one command in its own process group, so a timeout or an abort can kill everything it
 * started (`sh -c 'a | b'`, background jobs), not just the direct child.
 */
export function runCommand(spec: CommandSpec, signal: AbortSignal): Promise<CommandResult> {
  return new Promise((resolve) => {
    const stdout = new TailBuffer(spec.tailChars);
    const stderr = new TailBuffer(spec.tailChars);
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      shell: spec.shell,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.append(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.append(chunk));

    let ending: 'timed-out' | 'aborted' | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (why: 'timed-out' | 'aborted'): void => {
      if (ending !== undefined) return;
      ending = why;
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), spec.killGraceMs);
    };
    const timeout =
      spec.timeoutMs === undefined ? undefined : setTimeout(() => killGroup('timed-out'), spec.timeoutMs);
    const onAbort = (): void => killGroup('aborted');
    signal.addEventListener('abort', onAbort, { once: true });

    let done = false;
    const finish = (result: CommandResult): void => {
      // 'error' and 'exit' may both fire when a spawn fails.
      if (done) return;
      done = true;
      clearTimeout(timeout);
      clearTimeout(killTimer);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    child.once('error', (error) => finish({ kind: 'spawn-failed', error }));
    child.once('exit', (exitCode, exitSignal) => {
      // Any process left in the group would keep the pipes open; it belongs to this task, so end it.
      signalGroup(child.pid, 'SIGKILL');
      const drained = setTimeout(settle, PIPE_DRAIN_MS);
      child.once('close', settle);
      function settle(): void {
        clearTimeout(drained);
        if (ending === undefined) finish({ kind: 'exited', exitCode, signal: exitSignal, stdout, stderr });
        else finish({ kind: ending, stdout, stderr });
      }
    });
    if (signal.aborted) onAbort();
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we wanted.
  }
}

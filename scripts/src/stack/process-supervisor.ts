import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ProcessExit } from './tcp-probe';

export interface SpawnDetachedOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** stdout and stderr are appended here. */
  readonly logFile: string;
  /** Receives the PID; omit for launchers that fork the real server and exit (`rabbitmq-server -detached`). */
  readonly pidFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface DetachedProcess {
  readonly pid: number;
  /** Settles when the process ends (it is watched only while this Node process lives). */
  readonly exited: Promise<ProcessExit>;
}

/**
 * Starts a server in its own session so it outlives the `wlm` command that started it, with its output
 * in a log file rather than a pipe that would close with us.
 */
export async function spawnDetached(options: SpawnDetachedOptions): Promise<DetachedProcess> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const commandLine = [options.command, ...options.args].join(' ');
  appendFileSync(options.logFile, `\n--- ${new Date().toISOString()} wlm stack up: ${commandLine}\n`);
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(options.command, options.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    const exited = new Promise<ProcessExit>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    const pid = child.pid;
    if (pid === undefined) {
      const error = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw new Error(`cannot run ${options.command}: ${error.message}`, { cause: error });
    }
    child.unref();
    if (options.pidFile !== undefined) writePidFile(options.pidFile, pid);
    return { pid, exited };
  } finally {
    closeSync(fd);
  }
}

export function writePidFile(pidFile: string, pid: number): void {
  mkdirSync(dirname(pidFile), { recursive: true });
  writeFileSync(pidFile, `${pid}\n`);
}

export function removePidFile(pidFile: string): void {
  rmSync(pidFile, { force: true });
}

export function readPidFile(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The command line of a live process; undefined when it is gone or a zombie. */
export function commandLineOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may itself hold spaces or parentheses.
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/**
 * The PID recorded in `pidFile` when that process still runs and its command line contains `marker`;
 * the marker check keeps a PID the kernel has since handed to another program from being taken for ours.
 */
export function livePid(pidFile: string, marker: string): number | undefined {
  const pid = readPidFile(pidFile);
  if (pid === undefined) return undefined;
  return commandLineOf(pid)?.includes(marker) ? pid : undefined;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    // Already gone is what we wanted.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (commandLineOf(pid) === undefined) return true;
    await delay(200);
  }
  return commandLineOf(pid) === undefined;
}

/** SIGTERM, then SIGKILL once `graceMs` has passed. Resolves to how the process was ended. */
export async function stopProcess(pid: number, graceMs: number): Promise<'stopped' | 'killed'> {
  signal(pid, 'SIGTERM');
  if (await waitUntilGone(pid, graceMs)) return 'stopped';
  signal(pid, 'SIGKILL');
  await waitUntilGone(pid, 5000);
  return 'killed';
}

import { spawn } from 'node:child_process';
import { accessSync, appendFileSync, constants, mkdirSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { Reporter } from './types';

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunCommandOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Also append the command and its output here, for the user to read when it fails. */
  readonly logFile?: string;
}

/**
 * Runs a command to completion and collects its output. A non-zero exit is a result, not an error: the
 * caller knows what failure means; only a command that cannot be run at all rejects.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const result = {
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      };
      if (options.logFile !== undefined) {
        mkdirSync(dirname(options.logFile), { recursive: true });
        appendFileSync(
          options.logFile,
          `\n--- ${new Date().toISOString()} ${[command, ...args].join(' ')} (exit ${code ?? '?'})\n` +
            result.stdout +
            result.stderr,
        );
      }
      resolve(result);
    });
  });
}

/** Absolute path of `binary` on PATH (or `binary` itself when it is a path), if executable. */
export function findExecutable(binary: string): string | undefined {
  const candidates = binary.includes('/')
    ? [binary]
    : (process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, binary));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Reports `message` once, then `still` with the elapsed time every `everyMs` while `work` runs: long
 * steps never look hung.
 */
export async function withProgress<T>(
  report: Reporter,
  message: { readonly start: string; readonly still: string },
  work: Promise<T>,
  everyMs = 5000,
): Promise<T> {
  const started = Date.now();
  report('info', message.start);
  const timer = setInterval(() => report('waiting', message.still, Date.now() - started), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

import { TaskFailure, definePlugin, inheritedEnvironment } from '@wlm/commons/plugin';
import { z } from 'zod';
import { runCommand } from './run-command';
import type { CommandResult } from './run-command';

/** Codes of the failures this plugin throws. */
export const SHELL_FAILURE_CODES = {
  NON_ZERO_EXIT: 'SHELL_NON_ZERO_EXIT',
  KILLED_BY_SIGNAL: 'SHELL_KILLED_BY_SIGNAL',
  TIMED_OUT: 'SHELL_TIMED_OUT',
  SPAWN_FAILED: 'SHELL_SPAWN_FAILED',
} as const;

const TAIL_CHARS = 16 * 1024;
/** How much of stderr a failure message quotes; the full tail is in the task log. */
const MESSAGE_TAIL_CHARS = 1000;
const KILL_GRACE_MS = 2000;

const inputSchema = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  cwd: z.string().min(1).optional(),
  /**
   * The command's environment besides what every task inherits (PATH, HOME, USER, LANG, LC_*, TZ,
   * TMPDIR: `inheritedEnvironment`); nothing else of the worker's environment reaches the command.
   */
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'), z.string())
    .default({}),
  timeoutMs: z.number().int().positive().optional(),
  /** Run through `/bin/sh -c`; off by default so params are never shell-interpreted by accident. */
  shell: z.boolean().default(false),
});

const outputSchema = z.object({
  exitCode: z.number().int(),
  /** The last 16 KiB of each stream. */
  stdout: z.string(),
  stderr: z.string(),
});

export type ShellParams = z.input<typeof inputSchema>;
export type ShellOutputs = z.output<typeof outputSchema>;

export const plugin = definePlugin({
  name: 'shell',
  version: '0.1.0',
  description: 'Runs a local command (no shell unless params.shell) with an optional timeout',
  inputSchema,
  outputSchema,
  async run(ctx, signal): Promise<ShellOutputs> {
    const { command, args, env, shell, timeoutMs } = ctx.params;
    const cwd = ctx.params.cwd ?? ctx.workDir;
    ctx.logger.info({ command, args, cwd }, 'running command');
    const result = await runCommand(
      {
        command,
        args,
        ...(cwd === undefined ? {} : { cwd }),
        env: { ...inheritedEnvironment(), ...env },
        shell,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        tailChars: TAIL_CHARS,
        killGraceMs: KILL_GRACE_MS,
      },
      signal,
    );
    return outputsOrThrow(command, timeoutMs, result, signal);
  },
});

function outputsOrThrow(
  command: string,
  timeoutMs: number | undefined,
  result: CommandResult,
  signal: AbortSignal,
): ShellOutputs {
  switch (result.kind) {
    case 'spawn-failed':
      // Retryable: another worker may have the program or the directory this one lacks.
      throw TaskFailure.retryable(
        SHELL_FAILURE_CODES.SPAWN_FAILED,
        `cannot start command "${command}": ${result.error.message}`,
        result.error,
      );
    case 'aborted':
      signal.throwIfAborted();
      throw new Error('command aborted');
    case 'timed-out':
      throw TaskFailure.retryable(
        SHELL_FAILURE_CODES.TIMED_OUT,
        `command "${command}" timed out after ${timeoutMs ?? 0} ms and was killed${stderrSuffix(result.stderr.toString())}`,
      );
    case 'exited': {
      const stdout = result.stdout.toString();
      const stderr = result.stderr.toString();
      if (result.exitCode === null) {
        throw TaskFailure.retryable(
          SHELL_FAILURE_CODES.KILLED_BY_SIGNAL,
          `command "${command}" was killed by signal ${result.signal ?? 'unknown'}${stderrSuffix(stderr)}`,
        );
      }
      if (result.exitCode !== 0) {
        // Retryable like any task failure; the DAG's retry.maxAttempts bounds how often.
        throw TaskFailure.retryable(
          SHELL_FAILURE_CODES.NON_ZERO_EXIT,
          `command "${command}" exited with code ${result.exitCode}${stderrSuffix(stderr)}`,
        );
      }
      return { exitCode: 0, stdout, stderr };
    }
  }
}

function stderrSuffix(stderr: string): string {
  const tail = stderr.trimEnd();
  if (tail === '') return ' (no stderr output)';
  const quoted = tail.length > MESSAGE_TAIL_CHARS ? `…${tail.slice(-MESSAGE_TAIL_CHARS)}` : tail;
  return `; stderr: ${quoted}`;
}

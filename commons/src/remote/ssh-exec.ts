import { constants } from 'node:os';
import type { Client, ClientChannel } from 'ssh2';
import type { CommandResult, ExecOptions } from './remote-shell';
import { TailBuffer } from '../text/tail-buffer';
import { SshError } from './ssh-errors';
import type { SshTarget } from './ssh-errors';

/** More stdout than this fails the command: a task that wants bulk data should stage a file over SFTP. */
export const MAX_STDOUT_BYTES = 16 * 1024 * 1024;
/** Of stderr only the end is kept: that is where the reason for a failure usually is. */
const STDERR_KEPT_CHARS = 1024 * 1024;
const COMMAND_SHOWN = 200;

function shortCommand(command: string): string {
  return command.length > COMMAND_SHOWN ? `${command.slice(0, COMMAND_SHOWN)}…` : command;
}

/** The exit code a shell reports for a process killed by `signal` (`SIGTERM`, or `TERM`): 128 + its number. */
function signalExitCode(signal: string | undefined): number {
  const name = signal?.startsWith('SIG') ? signal : `SIG${signal ?? ''}`;
  return 128 + (constants.signals[name as NodeJS.Signals] ?? 0);
}

/**
 * The shell prints its PID first, so that an aborted command can be killed: sshd makes each session's
 * shell a process group leader, and `kill -- -PID` reaches whatever the command started. (SSH's own
 * "signal" request cannot be relied on: ssh2 sends it only before stdin is closed, and some sshd refuse it.)
 */
const PID_PREFIX = `printf '%s\\n' "$$"; `;
const MAX_PID_LINE = 24;

/** Stops a command's process group on the resource; best effort, nobody waits for it. */
function killProcessGroup(client: Client, pid: number): void {
  try {
    client.exec(`kill -TERM -- -${pid} 2>/dev/null || kill -TERM ${pid} 2>/dev/null`, (error, channel) => {
      if (error) return;
      channel.on('error', () => undefined);
      channel.resume();
      channel.stderr.resume();
      channel.end();
    });
  } catch {
    // the connection is gone, and the command with it
  }
}

/**
 * Runs `script` (the command with its environment exports before it) in a new session channel of
 * `client`; `command` is the caller's command alone, for messages. On abort, timeout or too much
 * output the remote command's process group gets SIGTERM and the channel is closed.
 */
export function execOnClient(
  client: Client,
  target: SshTarget,
  script: string,
  command: string,
  options: ExecOptions = {},
): Promise<CommandResult> {
  const { signal, stdin, timeoutMs } = options;
  return new Promise<CommandResult>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let channel: ClientChannel | undefined;
    let settled = false;
    let exitCode: number | undefined;
    /** The remote shell's PID, once its first line of output has come; `null` when it never will. */
    let pid: number | null | undefined;
    let pidLine = Buffer.alloc(0);
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    const stderr = new TailBuffer(STDERR_KEPT_CHARS);

    const settle = (error: unknown, result?: CommandResult): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (result === undefined) reject(error);
      else resolve(result);
    };
    const stop = (reason: unknown): void => {
      if (settled) return;
      if (channel !== undefined && exitCode === undefined) {
        if (typeof pid === 'number') killProcessGroup(client, pid);
        channel.close();
      }
      settle(reason);
    };
    const onAbort = (): void => stop(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () =>
              stop(
                new SshError(
                  'REMOTE_COMMAND_TIMEOUT',
                  target,
                  `command did not finish within ${timeoutMs} ms and was stopped: ${shortCommand(command)}`,
                ),
              ),
            timeoutMs,
          );
    const onStdout = (chunk: Buffer): void => {
      if (settled) return;
      stdoutBytes += chunk.length;
      if (stdoutBytes > MAX_STDOUT_BYTES) {
        stop(
          new SshError(
            'REMOTE_OUTPUT_TOO_LARGE',
            target,
            `command wrote more than ${MAX_STDOUT_BYTES} bytes on stdout and was stopped ` +
              `(write bulk output to a file and fetch it over SFTP): ${shortCommand(command)}`,
          ),
        );
      } else {
        stdout.push(chunk);
      }
    };

    const cannotStart = (error: Error): void =>
      settle(
        new SshError('SSH_CONNECTION_LOST', target, `cannot start a command: ${error.message}`, {
          cause: error,
        }),
      );
    const onOpen = (error: Error | undefined, opened: ClientChannel): void => {
      if (error) {
        cannotStart(error);
        return;
      }
      if (settled) {
        opened.close();
        return;
      }
      channel = opened;
      opened.on('data', (chunk: Buffer) => {
        if (pid !== undefined) {
          onStdout(chunk);
          return;
        }
        pidLine = Buffer.concat([pidLine, chunk]);
        const newline = pidLine.indexOf(0x0a);
        if (newline < 0 && pidLine.length <= MAX_PID_LINE) return;
        const line = newline < 0 ? '' : pidLine.subarray(0, newline).toString('latin1');
        pid = /^\d+$/.test(line) ? Number(line) : null;
        const rest = pid === null ? pidLine : pidLine.subarray(newline + 1);
        if (rest.length > 0) onStdout(rest);
        if (settled && pid !== null) killProcessGroup(client, pid);
      });
      // Decoded as a stream, so a character split between two chunks arrives whole.
      opened.stderr.setEncoding('utf8');
      opened.stderr.on('data', (chunk: string) => stderr.append(chunk));
      opened.on('exit', (code: number | null, signalName?: string) => {
        exitCode = code ?? signalExitCode(signalName);
      });
      // Errors on a channel come with its closing, which settles the command.
      opened.on('error', () => undefined);
      opened.on('close', () => {
        if (exitCode === undefined) {
          settle(
            new SshError(
              'SSH_CONNECTION_LOST',
              target,
              `connection to ${target.host}:${target.port} was lost while running: ${shortCommand(command)}`,
            ),
          );
        } else {
          if (pid === undefined && pidLine.length > 0) stdout.unshift(pidLine);
          settle(undefined, {
            exitCode,
            stdout: Buffer.concat(stdout).toString('utf8'),
            stderr: stderr.toString(),
          });
        }
      });
      // EOF after stdin (if any), so that a command reading its input does not wait forever.
      opened.end(stdin);
    };
    try {
      client.exec(`${PID_PREFIX}${script}`, onOpen);
    } catch (error) {
      // ssh2 throws "Not connected" when the socket has just gone, before the client says so.
      cannotStart(error as Error);
    }
  });
}

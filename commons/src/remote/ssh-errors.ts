import { WlmError } from '../errors/wlm-error';
import type { WlmErrorCode } from '../errors/wlm-error';
import { formatHostPort } from '../net/host-port';

/** What can go wrong talking to a compute resource over SSH. */
export type SshErrorCode = Extract<
  WlmErrorCode,
  | 'SSH_CONNECT_TIMEOUT'
  | 'SSH_CONNECT_REFUSED'
  | 'SSH_CONNECTION_LOST'
  | 'SSH_AUTH_REFUSED'
  | 'SSH_HOST_KEY_REJECTED'
  | 'SSH_HANDSHAKE_FAILED'
  | 'REMOTE_COMMAND_TIMEOUT'
  | 'REMOTE_OUTPUT_TOO_LARGE'
>;

/** The failures that may pass by themselves: the host was slow, busy, restarting or cut off. */
const RETRYABLE_SSH_CODES: ReadonlySet<SshErrorCode> = new Set<SshErrorCode>([
  'SSH_CONNECT_TIMEOUT',
  'SSH_CONNECT_REFUSED',
  'SSH_CONNECTION_LOST',
]);

/** Where a resource is reached, for messages and logs: the resource name and `user@host:port`. */
export interface SshTarget {
  readonly name: string;
  readonly user: string;
  readonly host: string;
  readonly port: number;
}

/** `user@host:port`, with an IPv6 host in brackets. */
export function sshAddress(target: SshTarget): string {
  return `${target.user}@${formatHostPort(target)}`;
}

/**
 * SSH to a compute resource failed; `code` says how. Timeouts, refused connections and dropped
 * connections are retryable, refused logins and rejected host keys are not.
 */
export class SshError extends WlmError {
  override readonly name: string = 'SshError';
  declare readonly code: SshErrorCode;
  /** The compute resource's name. */
  readonly resource: string;
  /** `user@host:port`. */
  readonly address: string;

  constructor(code: SshErrorCode, target: SshTarget, detail: string, options: { cause?: unknown } = {}) {
    super(code, `compute resource "${target.name}": ${detail}`, {
      cause: options.cause,
      retryable: RETRYABLE_SSH_CODES.has(code),
    });
    this.resource = target.name;
    this.address = sshAddress(target);
  }
}

const COMMAND_SHOWN = 200;

/** A remote command exited non-zero (see `RemoteShell.run`). Not retryable: the command decides. */
export class RemoteCommandError extends WlmError {
  override readonly name = 'RemoteCommandError';
  declare readonly code: 'REMOTE_COMMAND_FAILED';
  /** The compute resource's name. */
  readonly resource: string;
  readonly exitCode: number;
  /** The last bytes (≤ 2 KB) of what the command wrote on stderr. */
  readonly stderrTail: string;
  /** The command's first 200 characters (the exported environment not included). */
  readonly command: string;

  constructor(target: SshTarget, command: string, exitCode: number, stderrTail: string) {
    const shown = command.length > COMMAND_SHOWN ? `${command.slice(0, COMMAND_SHOWN)}…` : command;
    const stderr = stderrTail.trim();
    super(
      'REMOTE_COMMAND_FAILED',
      `compute resource "${target.name}" (${sshAddress(target)}): command exited with code ${exitCode}: ` +
        `${shown}${stderr === '' ? ' (no stderr output)' : `\nstderr: ${stderr}`}`,
    );
    this.resource = target.name;
    this.exitCode = exitCode;
    this.stderrTail = stderrTail;
    this.command = shown;
  }
}

/** A compute resource is not configured (`RESOURCE_UNKNOWN`) or its settings cannot be used (`RESOURCE_INVALID`). */
export class ComputeResourceError extends WlmError {
  override readonly name = 'ComputeResourceError';
  declare readonly code: 'RESOURCE_UNKNOWN' | 'RESOURCE_INVALID';

  constructor(
    code: 'RESOURCE_UNKNOWN' | 'RESOURCE_INVALID',
    /** The compute resource's name. */
    readonly resource: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

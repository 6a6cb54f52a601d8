import { TaskFailure, WlmError, isTaskFailure, taskFailureOf } from '@wlm/commons/plugin';
import { formatBytes } from './disk-space';

/** Codes of the failures this plugin throws (besides the SSH layer's, e.g. `RESOURCE_UNKNOWN`). */
export const STAGING_FAILURE_CODES = {
  /** A source file is missing, or a glob matches no file; not retryable. */
  SOURCE_MISSING: 'STAGING_SOURCE_MISSING',
  /** A source is a directory or a device, not a regular file; not retryable. */
  SOURCE_NOT_A_FILE: 'STAGING_SOURCE_NOT_A_FILE',
  /** A destination is an existing directory, two files would land on one path, or a directory cannot be made; not retryable. */
  DESTINATION_INVALID: 'STAGING_DESTINATION_INVALID',
  /** The destination's filesystem has less free space than the files need; not retryable. */
  DISK_FULL: 'STAGING_DISK_FULL',
  /** Reading a source or writing a destination was refused; not retryable. */
  PERMISSION_DENIED: 'STAGING_PERMISSION_DENIED',
  /** The copy's checksum differs from the source's (the partial copy is removed); retryable. */
  CHECKSUM_MISMATCH: 'STAGING_CHECKSUM_MISMATCH',
  /** Reading or writing failed for another reason (a dropped connection, a source that changed); retryable. */
  TRANSFER_FAILED: 'STAGING_TRANSFER_FAILED',
} as const;

/** SFTP status codes (draft-ietf-secsh-filexfer-02), as ssh2 puts them in `error.code`. */
export const SFTP_STATUS = { NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4 } as const;

const DISK_FULL_ERRNO = new Set(['ENOSPC', 'EDQUOT']);
const PERMISSION_ERRNO = new Set(['EACCES', 'EPERM', 'EROFS']);
/** SFTP servers other than OpenSSH's may say why a write failed; OpenSSH answers a bare "Failure". */
const DISK_FULL_MESSAGE = /no space|disk full|quota/i;

/** The `code` of a Node.js system error (a string) or of an ssh2 SFTP status error (a number). */
export function errorCodeOf(error: unknown): string | number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code: unknown = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? code : undefined;
}

/**
 * The message of an error-like value. Not `instanceof Error`: errors may come from another realm
 * (Node's own I/O errors under a test runner's VM context).
 */
export function messageOf(error: unknown): string {
  const message: unknown =
    typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : String(error);
}

/** True when `error` says the disk (or the user's quota) is full. */
export function isDiskFullError(error: unknown): boolean {
  const code = errorCodeOf(error);
  if (typeof code === 'string' && DISK_FULL_ERRNO.has(code)) return true;
  return typeof code === 'number' && DISK_FULL_MESSAGE.test(messageOf(error));
}

/** True for a local EACCES/EPERM/EROFS or an SFTP PERMISSION_DENIED. */
export function isPermissionError(error: unknown): boolean {
  const code = errorCodeOf(error);
  return typeof code === 'string' ? PERMISSION_ERRNO.has(code) : code === SFTP_STATUS.PERMISSION_DENIED;
}

/** True for a local ENOENT or ENOTDIR (a file where a directory should be) or an SFTP NO_SUCH_FILE. */
export function isMissingError(error: unknown): boolean {
  const code = errorCodeOf(error);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === SFTP_STATUS.NO_SUCH_FILE;
}

/** A {@link STAGING_FAILURE_CODES.DISK_FULL} failure naming the free and the needed bytes. */
export function diskFullFailure(
  where: string,
  availableBytes: number,
  neededBytes: number,
  cause?: unknown,
): TaskFailure {
  return TaskFailure.nonRetryable(
    STAGING_FAILURE_CODES.DISK_FULL,
    `not enough space ${where}: ${formatBytes(availableBytes)} (${availableBytes} bytes) free, ` +
      `${formatBytes(neededBytes)} (${neededBytes} bytes) needed; free some space or stage fewer files`,
    cause,
  );
}

/**
 * What failed `action` (e.g. `writing /x/a.csv.part on the worker`) as a TaskFailure: a full disk and
 * a refused permission are not retryable, anything else is (a dropped connection, a file that changed).
 * TaskFailures and the SSH layer's errors keep their own code.
 */
export function stagingFailureOf(error: unknown, action: string): unknown {
  if (isTaskFailure(error)) return error;
  if (error instanceof WlmError) return taskFailureOf(error);
  const reason = messageOf(error);
  if (isDiskFullError(error)) {
    return TaskFailure.nonRetryable(
      STAGING_FAILURE_CODES.DISK_FULL,
      `disk full while ${action}: ${reason}`,
      error,
    );
  }
  if (isPermissionError(error)) {
    return TaskFailure.nonRetryable(
      STAGING_FAILURE_CODES.PERMISSION_DENIED,
      `permission denied while ${action}: ${reason}`,
      error,
    );
  }
  return TaskFailure.retryable(
    STAGING_FAILURE_CODES.TRANSFER_FAILED,
    `transfer failed while ${action}: ${reason}`,
    error,
  );
}

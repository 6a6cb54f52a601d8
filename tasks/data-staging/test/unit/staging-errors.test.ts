import { TaskFailure, WlmError } from '@wlm/commons/plugin';
import { STAGING_FAILURE_CODES } from '@wlm/task-data-staging';
import { diskFullFailure, stagingFailureOf } from '../../src/staging-errors';

function systemError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

function sftpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('staging failures', () => {
  it('names free and needed bytes when the disk is too small, not retryable', () => {
    const failure = diskFullFailure('on compute resource "hpc" in /w (filesystem /w)', 1024, 3 * 1024 * 1024);
    expect(failure).toBeInstanceOf(TaskFailure);
    expect(failure.code).toBe(STAGING_FAILURE_CODES.DISK_FULL);
    expect(failure.retryable).toBe(false);
    expect(failure.message).toBe(
      'not enough space on compute resource "hpc" in /w (filesystem /w): 1.00 KiB (1024 bytes) free, ' +
        '3.00 MiB (3145728 bytes) needed; free some space or stage fewer files',
    );
  });

  it.each([
    [systemError('ENOSPC', 'ENOSPC: no space left on device'), STAGING_FAILURE_CODES.DISK_FULL, false],
    [systemError('EDQUOT', 'EDQUOT: disk quota exceeded'), STAGING_FAILURE_CODES.DISK_FULL, false],
    [sftpError(4, 'No space left on device'), STAGING_FAILURE_CODES.DISK_FULL, false],
    [systemError('EACCES', 'EACCES: permission denied'), STAGING_FAILURE_CODES.PERMISSION_DENIED, false],
    [sftpError(3, 'Permission denied'), STAGING_FAILURE_CODES.PERMISSION_DENIED, false],
    [sftpError(4, 'Failure'), STAGING_FAILURE_CODES.TRANSFER_FAILED, true],
    [new Error('No response from server'), STAGING_FAILURE_CODES.TRANSFER_FAILED, true],
  ])('classifies %s', (error, code, retryable) => {
    const failure = stagingFailureOf(error, 'writing /w/a.part on the worker') as TaskFailure;
    expect(failure).toBeInstanceOf(TaskFailure);
    expect([failure.code, failure.retryable]).toEqual([code, retryable]);
    expect(failure.message).toContain('while writing /w/a.part on the worker: ');
    expect(failure.cause).toBe(error);
  });

  it("keeps TaskFailures and the SSH layer's codes", () => {
    const failure = TaskFailure.nonRetryable('X', 'x');
    expect(stagingFailureOf(failure, 'x')).toBe(failure);
    const lost = stagingFailureOf(new WlmError('SSH_CONNECTION_LOST', 'gone', { retryable: true }), 'x');
    expect(lost).toMatchObject({ code: 'SSH_CONNECTION_LOST', retryable: true, message: 'gone' });
  });
});

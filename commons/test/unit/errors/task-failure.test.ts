import { TaskFailure, WlmError, isRetryableError, isTaskFailure } from '@wlm/commons/errors';

describe('TaskFailure', () => {
  it('carries a stable code and whether to retry', () => {
    const failure = TaskFailure.nonRetryable('INPUT_MISSING', 'no such file: /data/x');
    expect(failure).toBeInstanceOf(Error);
    expect(failure).toMatchObject({ name: 'TaskFailure', code: 'INPUT_MISSING', retryable: false });
    expect(TaskFailure.retryable('BUSY', 'busy').retryable).toBe(true);
  });

  it('keeps its cause', () => {
    const cause = new Error('ECONNRESET');
    expect(TaskFailure.retryable('NET', 'lost the archive', cause).cause).toBe(cause);
  });

  it('is recognised without instanceof, as when a plugin brings its own copy of commons', () => {
    const failure = TaskFailure.retryable('BUSY', 'busy');
    const copy = Object.setPrototypeOf(failure, Error.prototype) as Error;
    expect(copy instanceof TaskFailure).toBe(false);
    expect(isTaskFailure(copy)).toBe(true);
    expect(isTaskFailure(Object.assign(new Error('x'), { code: 'X', retryable: true }))).toBe(false);
    expect(isTaskFailure(new WlmError('DAG_INVALID', 'x'))).toBe(false);
  });

  it('tells isRetryableError whether to retry', () => {
    expect(isRetryableError(TaskFailure.retryable('BUSY', 'busy'))).toBe(true);
    expect(isRetryableError(TaskFailure.nonRetryable('BAD', 'bad'))).toBe(false);
  });
});

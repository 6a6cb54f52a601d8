import { TASK_FAILURE_CODES } from '../../../src/execution';
import { outcomeOfExit } from '../../../src/execution/task-outcome';

describe('outcomeOfExit', () => {
  it('names the exit code and quotes the end of stderr', () => {
    expect(outcomeOfExit({ code: 3, signal: null }, 'boom\n', 512)).toEqual({
      status: 'failed',
      code: TASK_FAILURE_CODES.PROCESS_EXITED,
      retryable: true,
      reason: 'task process exited with code 3 before reporting a result; stderr: boom',
    });
  });

  it('recognises V8 running out of heap', () => {
    const stderr = 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory';
    expect(outcomeOfExit({ code: null, signal: 'SIGABRT' }, stderr, 64)).toMatchObject({
      code: TASK_FAILURE_CODES.OUT_OF_MEMORY,
      reason: 'task process ran out of memory (heap limit 64 MB) and was stopped',
    });
  });

  it('names an outside signal', () => {
    expect(outcomeOfExit({ code: null, signal: 'SIGKILL' }, '', 64).reason).toBe(
      'task process was killed by signal SIGKILL (possibly by the system out-of-memory killer)',
    );
  });

  it('explains a process that could not start', () => {
    expect(
      outcomeOfExit({ code: null, signal: null, error: new Error('spawn EAGAIN') }, '', 64),
    ).toMatchObject({
      code: TASK_FAILURE_CODES.RUNNER_ERROR,
      reason: 'could not start the task process: spawn EAGAIN',
    });
  });
});

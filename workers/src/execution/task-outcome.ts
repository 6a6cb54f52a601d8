import { TASK_FAILURE_CODES } from './failure-codes';
import type { ResultMessage } from './ipc-messages';
import type { ProcessExit } from './task-process';

export type TaskOutputs = ResultMessage['outputs'];

/** How one task run ended, as the worker reports it in its terminal TaskEvent. */
export type TaskOutcome =
  | { status: 'completed'; outputs: TaskOutputs }
  /** The round ended with a checkpoint; the task goes on in a later round. */
  | { status: 'continued'; checkpoint: TaskOutputs; delayMs: number; message: string }
  | { status: 'failed'; reason: string; retryable: boolean; code: string }
  /**
   * `checkpoint`: the round ended with one just as it was cancelled, so what it holds (a batch job)
   * is the worker's to have released.
   */
  | { status: 'cancelled'; reason: string; checkpoint?: TaskOutputs };

export type FailedOutcome = Extract<TaskOutcome, { status: 'failed' }>;

/** How much of the child's stderr a failure reason quotes; the rest is in the worker's log. */
const REASON_STDERR_CHARS = 600;

/**
 * Explains why a task process ended before reporting a result. V8 aborts (SIGABRT) when the heap
 * cap is reached and says so on stderr — there is no other signal to go by.
 */
export function outcomeOfExit(exit: ProcessExit, stderrTail: string, memoryLimitMb: number): FailedOutcome {
  if (exit.error !== undefined) {
    return failed(TASK_FAILURE_CODES.RUNNER_ERROR, `could not start the task process: ${exit.error.message}`);
  }
  if (/heap out of memory|Reached heap limit/.test(stderrTail) || exit.signal === 'SIGABRT') {
    return failed(
      TASK_FAILURE_CODES.OUT_OF_MEMORY,
      `task process ran out of memory (heap limit ${memoryLimitMb} MB) and was stopped`,
    );
  }
  if (exit.signal !== null) {
    // Nobody in the worker sent it (the runner's own kills have their own outcome), so it came from
    // outside; SIGKILL is usually the kernel's out-of-memory killer.
    const hint = exit.signal === 'SIGKILL' ? ' (possibly by the system out-of-memory killer)' : '';
    return failed(
      TASK_FAILURE_CODES.PROCESS_EXITED,
      `task process was killed by signal ${exit.signal}${hint}${quote(stderrTail)}`,
    );
  }
  return failed(
    TASK_FAILURE_CODES.PROCESS_EXITED,
    `task process exited with code ${exit.code ?? 'unknown'} before reporting a result${quote(stderrTail)}`,
  );
}

function failed(code: string, reason: string): FailedOutcome {
  return { status: 'failed', code, reason, retryable: true };
}

function quote(stderrTail: string): string {
  const tail = stderrTail.trim();
  if (tail === '') return '';
  return `; stderr: ${tail.length > REASON_STDERR_CHARS ? `…${tail.slice(-REASON_STDERR_CHARS)}` : tail}`;
}

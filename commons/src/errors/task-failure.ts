/**
 * Brand that survives duplicate copies of `@wlm/commons`: a plugin package may bring its own copy,
 * so the worker cannot rely on `instanceof` when it inspects what a plugin threw.
 */
const TASK_FAILURE_BRAND = Symbol.for('wlm.TaskFailure');

export interface TaskFailureOptions {
  /** Whether running the task again (on this or another worker) may succeed. */
  retryable: boolean;
  cause?: unknown;
}

/**
 * The error a task plugin throws to fail its task on purpose, like Temporal's `ApplicationFailure`.
 * `code` is a stable, machine-readable name chosen by the plugin (`SCREAMING_SNAKE_CASE` by
 * convention, e.g. `SHELL_NON_ZERO_EXIT`); the message is the reason shown to users. Anything else a
 * plugin throws is reported as a retryable `TASK_PLUGIN_ERROR`.
 *
 * @example
 * ```ts
 * if (response.status === 503) throw TaskFailure.retryable('SERVICE_BUSY', 'the archive is busy');
 * if (!exists) throw TaskFailure.nonRetryable('INPUT_MISSING', `no such file: ${path}`);
 * ```
 */
export class TaskFailure extends Error {
  override readonly name = 'TaskFailure';
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: TaskFailureOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable;
    // Non-enumerable so it stays out of logs and serialised errors.
    Object.defineProperty(this, TASK_FAILURE_BRAND, { value: true });
  }

  /** A failure that another attempt may not repeat (a busy service, a flaky network). */
  static retryable(code: string, message: string, cause?: unknown): TaskFailure {
    return new TaskFailure(
      code,
      message,
      cause === undefined ? { retryable: true } : { retryable: true, cause },
    );
  }

  /** A failure every attempt would repeat (bad input, a missing file); the task is not retried. */
  static nonRetryable(code: string, message: string, cause?: unknown): TaskFailure {
    return new TaskFailure(
      code,
      message,
      cause === undefined ? { retryable: false } : { retryable: false, cause },
    );
  }
}

/** True for a {@link TaskFailure}, including one built by another copy of `@wlm/commons`. */
export function isTaskFailure(value: unknown): value is TaskFailure {
  return (
    value instanceof Error &&
    (value as unknown as Record<symbol, unknown>)[TASK_FAILURE_BRAND] === true &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { retryable?: unknown }).retryable === 'boolean'
  );
}

/**
 * Codes the worker itself reports when a task fails outside the plugin's own {@link TaskFailure}s.
 * Retryability is fixed per code, except `TASK_PLUGIN_ERROR` (always retryable).
 */
export const TASK_FAILURE_CODES = {
  /** The params did not match the plugin's input schema (not retryable). */
  INPUT_INVALID: 'TASK_INPUT_INVALID',
  /** The plugin returned outputs that do not match its output schema (not retryable). */
  OUTPUT_INVALID: 'TASK_OUTPUT_INVALID',
  /** The plugin threw something other than a TaskFailure (retryable). */
  PLUGIN_ERROR: 'TASK_PLUGIN_ERROR',
  /** The plugin module could not be loaded in the task process (retryable: another worker may). */
  PLUGIN_LOAD_FAILED: 'TASK_PLUGIN_LOAD_FAILED',
  /** The task ran past its timeout and was killed (retryable). */
  TIMED_OUT: 'TASK_TIMED_OUT',
  /** The task process exited or was killed before reporting a result (retryable). */
  PROCESS_EXITED: 'TASK_PROCESS_EXITED',
  /** The task process ran past its memory cap (retryable). */
  OUT_OF_MEMORY: 'TASK_OUT_OF_MEMORY',
  /** The plugin raised an exception outside `run`'s promise, e.g. in a timer (retryable). */
  UNCAUGHT_EXCEPTION: 'TASK_UNCAUGHT_EXCEPTION',
  /** The task process could not be started or broke the IPC protocol (retryable). */
  RUNNER_ERROR: 'TASK_RUNNER_ERROR',
} as const;

export type TaskFailureCode = (typeof TASK_FAILURE_CODES)[keyof typeof TASK_FAILURE_CODES];

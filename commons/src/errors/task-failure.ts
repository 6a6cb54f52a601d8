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
 * plugin throws is reported as a retryable `TASK_PLUGIN_ERROR`, one of the worker's own codes in the
 * failure-code registry (`defineFailureCodes`).
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

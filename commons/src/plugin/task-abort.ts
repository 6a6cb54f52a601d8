/** Brand that survives duplicate copies of `@wlm/commons`, as for `TaskFailure`. */
const TASK_ABORT_BRAND = Symbol.for('wlm.TaskAbort');

/**
 * Why a task's signal was aborted. Only `cancel` abandons the task; after the others it runs again
 * — a retry (`timeout`), another worker (`shutdown`, `worker-lost`) — from its last checkpoint, so
 * what it holds outside (a batch job) must be left alone.
 */
export type TaskAbortKind = 'cancel' | 'timeout' | 'shutdown' | 'worker-lost';

/** The reason of an aborted task signal: an `AbortError` that says why. */
export class TaskAbort extends Error {
  // Named AbortError so plugins that check `error.name` treat it like any other abort.
  override readonly name = 'AbortError';
  readonly kind: TaskAbortKind;

  constructor(kind: TaskAbortKind, message: string) {
    super(message);
    this.kind = kind;
    Object.defineProperty(this, TASK_ABORT_BRAND, { value: true });
  }
}

/** The kind of a signal's abort reason; `undefined` for a reason that is no {@link TaskAbort}. */
export function taskAbortKind(reason: unknown): TaskAbortKind | undefined {
  if (
    !(reason instanceof Error) ||
    (reason as unknown as Record<symbol, unknown>)[TASK_ABORT_BRAND] !== true
  ) {
    return undefined;
  }
  return (reason as TaskAbort).kind;
}

/** Whether the task was cancelled — abandoned for good — rather than stopped to run again elsewhere. */
export function isTaskCancelled(signal: AbortSignal): boolean {
  return signal.aborted && taskAbortKind(signal.reason) === 'cancel';
}

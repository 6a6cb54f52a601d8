import type { JsonValue } from '../wire';

/** Brand that survives duplicate copies of `@wlm/commons`, as for `TaskFailure`. */
const TASK_CONTINUATION_BRAND = Symbol.for('wlm.TaskContinuation');

/** Longest a task may wait between two rounds: a day. */
export const MAX_CONTINUATION_DELAY_MS = 86_400_000;

export interface TaskContinuationOptions {
  /** Handed to the next round as `ctx.checkpoint`; everything that round needs to carry on. */
  readonly checkpoint: JsonValue;
  /** How long to wait before the next round, in ms (0 … {@link MAX_CONTINUATION_DELAY_MS}). */
  readonly delayMs: number;
  /** What the task waits for, for people: e.g. `SLURM job 42 is PENDING (Priority)`. */
  readonly message: string;
}

/**
 * What a plugin throws to end this round and carry on later from a checkpoint, rather than hold
 * a worker slot and a broker delivery while something outside runs for hours. The worker acks the
 * assignment, and the scheduler places the next round after `delayMs`, on any capable worker. The
 * checkpoint must hold all the next round needs: the process that ran this round may be gone.
 *
 * @example
 * ```ts
 * const state = await batch.status(jobId);
 * if (!state.finished) {
 *   throw new TaskContinuation({ checkpoint: { jobId }, delayMs: 30_000, message: `job ${jobId} ${state.name}` });
 * }
 * ```
 */
export class TaskContinuation extends Error {
  override readonly name = 'TaskContinuation';
  readonly checkpoint: JsonValue;
  readonly delayMs: number;

  constructor(options: TaskContinuationOptions) {
    super(options.message);
    this.checkpoint = options.checkpoint;
    this.delayMs = Math.min(MAX_CONTINUATION_DELAY_MS, Math.max(0, Math.round(options.delayMs)));
    Object.defineProperty(this, TASK_CONTINUATION_BRAND, { value: true });
  }
}

/** True for a {@link TaskContinuation}, including one built by another copy of `@wlm/commons`. */
export function isTaskContinuation(value: unknown): value is TaskContinuation {
  return (
    value instanceof Error &&
    (value as unknown as Record<symbol, unknown>)[TASK_CONTINUATION_BRAND] === true &&
    typeof (value as { delayMs?: unknown }).delayMs === 'number' &&
    'checkpoint' in value
  );
}

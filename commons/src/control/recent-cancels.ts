import { RecentMap } from '../collections';
import type { CancelTask } from '../wire';

/** What a cancel is matched against: a run's task and when its request was made. */
export interface CancellableTask {
  readonly experimentId: string;
  readonly run: number;
  readonly taskId: string;
  /** The TaskRequest's `requestedAt`. */
  readonly requestedAt: string;
}

/**
 * Whether `cancel` stops `task`: same experiment and run, the same task or every task (no `taskId`),
 * and a request made no later than the cancel. The run keeps a cancel from stopping a rerun's tasks;
 * the time keeps it from stopping what a resume of the same run requested after it — a cancel can
 * sit in a worker's control queue (or in this memory) for a while.
 */
export function cancelApplies(cancel: CancelTask, task: CancellableTask): boolean {
  if (cancel.experimentId !== task.experimentId || cancel.run !== task.run) return false;
  if (cancel.taskId !== undefined && cancel.taskId !== task.taskId) return false;
  return Date.parse(task.requestedAt) <= Date.parse(cancel.requestedAt);
}

/**
 * Cancels seen recently, so that a request or assignment of a cancelled task that arrives after the
 * cancel (it was already queued, or redelivered) is dropped rather than run. The scheduler and the
 * workers both keep one. Bounded in size and in time.
 */
export class RecentCancels {
  private readonly cancels: RecentMap<string, CancelTask>;

  constructor(ttlMs: number, capacity = 10_000) {
    this.cancels = new RecentMap({ capacity, ttlMs });
  }

  remember(cancel: CancelTask, now = Date.now()): void {
    const key = keyOf(cancel.experimentId, cancel.run, cancel.taskId);
    const earlier = this.cancels.get(key, now);
    // A later cancel of the same scope covers more requests; an older duplicate adds nothing.
    if (earlier !== undefined && Date.parse(earlier.requestedAt) > Date.parse(cancel.requestedAt)) return;
    this.cancels.set(key, cancel, now);
  }

  /** The remembered cancel that stops `task`, if any. */
  find(task: CancellableTask, now = Date.now()): CancelTask | undefined {
    const keys = [
      keyOf(task.experimentId, task.run, task.taskId),
      keyOf(task.experimentId, task.run, undefined),
    ];
    for (const key of keys) {
      const cancel = this.cancels.get(key, now);
      if (cancel !== undefined && cancelApplies(cancel, task)) return cancel;
    }
    return undefined;
  }

  get size(): number {
    return this.cancels.size;
  }
}

function keyOf(experimentId: string, run: number, taskId: string | undefined): string {
  // NUL cannot occur in either id, so the key is unambiguous.
  return `${experimentId}\u0000${run}\u0000${taskId ?? '*'}`;
}

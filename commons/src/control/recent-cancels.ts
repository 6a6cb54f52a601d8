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

interface Remembered {
  readonly cancel: CancelTask;
  readonly expiresAt: number;
}

/**
 * Cancels seen recently, so that a request or assignment of a cancelled task that arrives after the
 * cancel (it was already queued, or redelivered) is dropped rather than run. The scheduler and the
 * workers both keep one. Bounded in size and in time.
 */
export class RecentCancels {
  private readonly entries = new Map<string, Remembered>();

  constructor(
    private readonly ttlMs: number,
    private readonly capacity = 10_000,
  ) {}

  remember(cancel: CancelTask, now = Date.now()): void {
    const key = keyOf(cancel.experimentId, cancel.run, cancel.taskId);
    const earlier = this.entries.get(key);
    // A later cancel of the same scope covers more requests; an older duplicate adds nothing.
    if (earlier !== undefined && Date.parse(earlier.cancel.requestedAt) > Date.parse(cancel.requestedAt))
      return;
    this.entries.delete(key);
    this.entries.set(key, { cancel, expiresAt: now + this.ttlMs });
    this.prune(now);
  }

  /** The remembered cancel that stops `task`, if any. */
  find(task: CancellableTask, now = Date.now()): CancelTask | undefined {
    const keys = [
      keyOf(task.experimentId, task.run, task.taskId),
      keyOf(task.experimentId, task.run, undefined),
    ];
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (entry === undefined) continue;
      if (entry.expiresAt <= now) {
        this.entries.delete(key);
        continue;
      }
      if (cancelApplies(entry.cancel, task)) return entry.cancel;
    }
    return undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(now: number): void {
    // Insertion order is expiry order (every entry gets the same TTL), so stop at the first live one.
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now && this.entries.size <= this.capacity) break;
      this.entries.delete(key);
    }
  }
}

function keyOf(experimentId: string, run: number, taskId: string | undefined): string {
  // NUL cannot occur in either id, so the key is unambiguous.
  return `${experimentId}\u0000${run}\u0000${taskId ?? '*'}`;
}

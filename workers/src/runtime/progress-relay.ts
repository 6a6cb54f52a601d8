import type { TaskProgress } from '../execution';

/**
 * Passes a task's progress reports on at most once per `intervalMs`: a plugin may report in a tight
 * loop, and every report would otherwise become a persistent, confirmed message that the
 * orchestrator writes down. The latest report of a burst is always passed on (trailing edge), unless
 * the task ends first — its terminal event says more than any progress.
 */
export class ProgressRelay {
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private pending: TaskProgress | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly send: (progress: TaskProgress) => void,
  ) {}

  report(progress: TaskProgress): void {
    if (this.closed) return;
    const wait = this.lastSentAt + this.intervalMs - Date.now();
    if (wait <= 0 && this.timer === undefined) {
      this.emit(progress);
      return;
    }
    this.pending = progress;
    this.timer ??= setTimeout(
      () => {
        this.timer = undefined;
        const latest = this.pending;
        this.pending = undefined;
        if (latest !== undefined && !this.closed) this.emit(latest);
      },
      Math.max(0, wait),
    );
  }

  /** Drops whatever is still pending; later reports are ignored. */
  close(): void {
    this.closed = true;
    this.pending = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private emit(progress: TaskProgress): void {
    this.lastSentAt = Date.now();
    this.send(progress);
  }
}

import type { DriverCounts } from './dag-driver';

/** What the harness reports while it waits. */
export interface ProgressSnapshot {
  /** Tasks settled: completed, failed, or skipped because their DAG failed. */
  readonly done: number;
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  readonly retried: number;
  readonly inFlight: number;
  readonly elapsedMs: number;
  /** Tasks completed per second since the previous snapshot: the current pace, not the average. */
  readonly tasksPerSecond: number;
}

/** Turns successive counts into snapshots with the rate since the previous one. */
export class ProgressMeter {
  private lastAt: number;
  private lastCompleted = 0;

  constructor(private readonly startedAt: number) {
    this.lastAt = startedAt;
  }

  sample(counts: DriverCounts, now: number): ProgressSnapshot {
    const interval = now - this.lastAt;
    const rate = interval > 0 ? ((counts.completed - this.lastCompleted) * 1000) / interval : 0;
    this.lastAt = now;
    this.lastCompleted = counts.completed;
    return {
      done: counts.completed + counts.failed + counts.skipped,
      total: counts.tasks,
      completed: counts.completed,
      failed: counts.failed,
      retried: counts.retried,
      inFlight: counts.inFlight,
      elapsedMs: now - this.startedAt,
      tasksPerSecond: Math.round(rate),
    };
  }
}

/** `[#########-----------]  450/1000 tasks  45%  812 tasks/s  …`, fitting an 80-column terminal. */
export function formatProgressLine(snapshot: ProgressSnapshot, barWidth = 20): string {
  const fraction = snapshot.total > 0 ? Math.min(1, snapshot.done / snapshot.total) : 1;
  const filled = Math.round(fraction * barWidth);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  const width = String(snapshot.total).length;
  return (
    `${bar} ${String(snapshot.done).padStart(width)}/${snapshot.total} tasks ` +
    `${String(Math.floor(fraction * 100)).padStart(3)}%  ${snapshot.tasksPerSecond} tasks/s  ` +
    `${snapshot.failed} failed  ${snapshot.retried} retried  ${snapshot.inFlight} in flight  ` +
    `${(snapshot.elapsedMs / 1000).toFixed(0)} s`
  );
}

/**
 * Orchestration overhead, computed the same way for every system from the times the tasks report:
 * for each task with dependencies, from its last dependency's end to its own start on a worker.
 */
import type { Shape } from './shapes';

/** When one task started and ended on a worker (ms since the epoch). */
export interface TaskTimes {
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface LatencyFigures {
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentile of ascending values: always an observed value. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export function latencyFigures(values: readonly number[]): LatencyFigures {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    samples: sorted.length,
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

/**
 * `times(experiment, taskId)` gives a task's times, undefined when it never ran; `experiments` are
 * the keys the system ran the shape under. Tasks without dependencies have no overhead to measure.
 */
export function overheadOf(
  shape: Shape,
  experiments: readonly string[],
  times: (experiment: string, taskId: string) => TaskTimes | undefined,
): LatencyFigures {
  const samples: number[] = [];
  for (const experiment of experiments) {
    for (const task of shape.tasks) {
      if (task.after.length === 0) continue;
      const own = times(experiment, task.id);
      if (own === undefined) continue;
      let lastEnd = Number.NEGATIVE_INFINITY;
      for (const dependency of task.after) {
        const ended = times(experiment, dependency)?.endedAt;
        if (ended !== undefined && ended > lastEnd) lastEnd = ended;
      }
      if (Number.isFinite(lastEnd)) samples.push(own.startedAt - lastEnd);
    }
  }
  return latencyFigures(samples);
}

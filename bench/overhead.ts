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

/** A task with dependencies that ran, with its last dependency's end. */
interface DependentRun {
  readonly experiment: string;
  readonly taskId: string;
  readonly own: TaskTimes;
  readonly lastDependencyEnd: number;
}

function* dependentRuns(
  shape: Shape,
  experiments: readonly string[],
  times: (experiment: string, taskId: string) => TaskTimes | undefined,
): Generator<DependentRun> {
  for (const experiment of experiments) {
    for (const task of shape.tasks) {
      if (task.after.length === 0) continue;
      const own = times(experiment, task.id);
      if (own === undefined) continue;
      let lastDependencyEnd = Number.NEGATIVE_INFINITY;
      for (const dependency of task.after) {
        const ended = times(experiment, dependency)?.endedAt;
        if (ended !== undefined && ended > lastDependencyEnd) lastDependencyEnd = ended;
      }
      if (Number.isFinite(lastDependencyEnd)) yield { experiment, taskId: task.id, own, lastDependencyEnd };
    }
  }
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
  return latencyFigures(
    [...dependentRuns(shape, experiments, times)].map((run) => run.own.startedAt - run.lastDependencyEnd),
  );
}

/** When the orchestrator requested a task and when a scheduler placed it on a worker (ms since the epoch). */
export interface DispatchTimes {
  readonly requestedAt: number;
  readonly placedAt: number;
}

/** The overhead of wlm's whole path split at the two hand-overs its audit trail records. */
export interface OverheadByHop {
  /** Last dependency's end → the orchestrator's request: the worker's event in, both stores written, the ready query. */
  readonly orchestrator: LatencyFigures;
  /** Request → placement: the broker's confirm and delivery, the scheduler's placement. */
  readonly scheduler: LatencyFigures;
  /** Placement → start: the assignment's delivery, the worker starting the task. */
  readonly worker: LatencyFigures;
}

/** {@link overheadOf} split by hop, over the tasks whose request and placement are both known. */
export function overheadByHopOf(
  shape: Shape,
  experiments: readonly string[],
  times: (experiment: string, taskId: string) => TaskTimes | undefined,
  dispatches: (experiment: string, taskId: string) => DispatchTimes | undefined,
): OverheadByHop {
  const orchestrator: number[] = [];
  const scheduler: number[] = [];
  const worker: number[] = [];
  for (const run of dependentRuns(shape, experiments, times)) {
    const dispatch = dispatches(run.experiment, run.taskId);
    if (dispatch === undefined) continue;
    orchestrator.push(dispatch.requestedAt - run.lastDependencyEnd);
    scheduler.push(dispatch.placedAt - dispatch.requestedAt);
    worker.push(run.own.startedAt - dispatch.placedAt);
  }
  return {
    orchestrator: latencyFigures(orchestrator),
    scheduler: latencyFigures(scheduler),
    worker: latencyFigures(worker),
  };
}

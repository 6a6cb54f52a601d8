import { DagGraph } from '@wlm/commons/dag';
import type { DagTaskRetry } from '@wlm/commons/dag';
import type { JsonObject } from '@wlm/commons/wire';
import { generateDag } from './dag-generator';
import type { DagShape } from './dag-generator';
import { seededRandom } from './seeded-random';

/** `--priority-mix` spreads the DAGs evenly over a low, a normal and a high priority. */
export const PRIORITY_MIX: readonly number[] = [1, 5, 9];

/** Backoff before a retry when `--fail-times` asks for failures; short, since the harness measures. */
export const RETRY_BACKOFF_MS = 100;

export interface RunPlanOptions {
  /** Unique per run; part of every experiment id so events of other runs are told apart. */
  readonly runId: string;
  readonly dags: number;
  readonly shape: DagShape;
  readonly tasksPerDag: number;
  /** Seeds the `random` shape; the same seed and sizes give the same DAGs. */
  readonly seed: number;
  readonly sleepMs: number;
  /** Every task's first `failTimes` attempts fail as retryable (the echo plugin's `failTimes`). */
  readonly failTimes: number;
  /** Attempts allowed per task; default `failTimes + 1`, so injected failures are retried away. */
  readonly maxAttempts?: number;
  /** Priority of every DAG unless `priorityMix`. */
  readonly priority: number;
  readonly priorityMix: boolean;
}

/** One experiment the harness runs. */
export interface PlannedDag {
  readonly experimentId: string;
  readonly priority: number;
  readonly graph: DagGraph;
}

function retryPolicy(options: RunPlanOptions): DagTaskRetry | undefined {
  if (options.failTimes === 0 && options.maxAttempts === undefined) return undefined;
  return { maxAttempts: options.maxAttempts ?? options.failTimes + 1, backoffMs: RETRY_BACKOFF_MS };
}

/**
 * The experiments of one run. Chains and fan-outs of one size are all alike, so they share one
 * graph; random DAGs draw from one seeded stream, each its own.
 */
export function planRun(options: RunPlanOptions): PlannedDag[] {
  const params: JsonObject = {
    ...(options.sleepMs > 0 ? { sleepMs: options.sleepMs } : {}),
    ...(options.failTimes > 0 ? { failTimes: options.failTimes } : {}),
  };
  const retry = retryPolicy(options);
  const random = seededRandom(options.seed);
  const spec = {
    shape: options.shape,
    tasks: options.tasksPerDag,
    params,
    random,
    ...(retry === undefined ? {} : { retry }),
  };
  const shared = options.shape === 'random' ? undefined : DagGraph.from(generateDag(spec));
  const width = String(Math.max(0, options.dags - 1)).length;
  return Array.from({ length: options.dags }, (_, index) => ({
    experimentId: `mock.${options.runId}.${String(index).padStart(width, '0')}`,
    priority: options.priorityMix ? (PRIORITY_MIX[index % PRIORITY_MIX.length] as number) : options.priority,
    graph: shared ?? DagGraph.from(generateDag(spec)),
  }));
}

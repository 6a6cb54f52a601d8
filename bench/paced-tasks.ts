/**
 * Orchestration overhead at a steady load below the peak: echo TaskRequests published at a fixed
 * rate straight to the scheduler's queue, and the time from each publish to the worker's RUNNING
 * (its `at`) — what docs/performance.md's latency target (p50 ≤ 10 ms, p99 ≤ 50 ms at half of peak) is about.
 * The mock orchestrator cannot pace: it publishes every ready task at once, so its latencies under a
 * burst are mostly queueing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AmqpConnection, mergeTopology } from '@wlm/commons/amqp';
import { createLogger } from '@wlm/commons/logging';
import { taskEventSchema, taskRequestSchema } from '@wlm/commons/wire';
import type { WlmTopology } from '@wlm/commons/amqp';
import type { TaskEvent } from '@wlm/commons/wire';
import { taskRequest } from '@wlm/test-support';

export interface PacedOptions {
  readonly url: string;
  readonly topology: WlmTopology;
  /** Requests per second. */
  readonly rate: number;
  readonly tasks: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

export interface PacedResult {
  targetRate: number;
  tasks: number;
  achievedRate: number;
  /** Publish → RUNNING: placement, two queue hops and the worker starting the task. */
  publishToRunningMs: Percentiles;
  /** Publish → COMPLETED received here. */
  publishToCompletedMs: Percentiles;
}

/** Nearest-rank percentile: always an observed value. */
export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { p50: round(at(50)), p99: round(at(99)), max: round(sorted[sorted.length - 1] ?? Number.NaN) };
}

/** Publishes `tasks` requests at `rate` per second and waits for all of them to complete. */
export async function runPacedTasks(options: PacedOptions): Promise<PacedResult> {
  const { topology } = options;
  const queue = `${topology.namespace}.bench.paced`;
  const amqp = await AmqpConnection.connect({
    url: options.url,
    logger: createLogger({ component: 'bench-paced', level: 'silent', pretty: false }),
    topology: mergeTopology(topology.core(), {
      exchanges: [],
      queues: [
        {
          name: queue,
          options: { durable: true, expires: 60_000, arguments: { 'x-queue-type': 'classic' } },
          bindings: ['task.running', 'task.completed'].map((pattern) => ({
            exchange: topology.exchanges.events,
            pattern,
          })),
        },
      ],
    }),
    connectionName: `wlm-bench-paced-${topology.namespace}`,
    closeTimeoutMs: 5_000,
  });
  const experimentId = `bench-paced-${Date.now()}`;
  const publishedAt = new Map<string, number>();
  const toRunning: number[] = [];
  const toCompleted: number[] = [];
  let lastCompletedAt = 0;
  const onEvent = (event: TaskEvent): void => {
    const sentAt = event.experimentId === experimentId ? publishedAt.get(event.taskId) : undefined;
    if (sentAt === undefined || event.attempt !== 1) return;
    if (event.state === 'RUNNING') toRunning.push(Date.parse(event.at) - sentAt);
    if (event.state === 'COMPLETED') {
      lastCompletedAt = Date.now();
      toCompleted.push(lastCompletedAt - sentAt);
    }
  };
  try {
    await amqp.consume(queue, taskEventSchema, onEvent, { prefetch: 500 });
    const startedAt = Date.now();
    let failure: unknown;
    for (let sent = 0; sent < options.tasks;) {
      options.signal?.throwIfAborted();
      if (failure !== undefined) throw failure;
      // Catch up to the schedule every few ms, so the rate holds whatever the timer resolution.
      const due = Math.min(options.tasks, Math.floor(((Date.now() - startedAt) * options.rate) / 1000) + 1);
      for (; sent < due; sent += 1) {
        const taskId = `t${sent}`;
        const now = Date.now();
        publishedAt.set(taskId, now);
        // Not awaited: confirms are pipelined, as the orchestrator's are.
        amqp
          .publishMessage(
            '',
            topology.queues.schedulerRequests,
            taskRequestSchema,
            taskRequest(experimentId, taskId, { requestedAt: new Date(now).toISOString() }),
            { priority: 5 },
          )
          .catch((error: unknown) => (failure ??= error));
      }
      await sleep(2);
    }
    const deadline = Date.now() + options.timeoutMs;
    while (toCompleted.length < options.tasks) {
      options.signal?.throwIfAborted();
      if (failure !== undefined) throw failure;
      if (Date.now() > deadline) {
        throw new Error(`paced run: ${toCompleted.length} of ${options.tasks} tasks completed in time`);
      }
      await sleep(20);
    }
    return {
      targetRate: options.rate,
      tasks: options.tasks,
      achievedRate: Math.round((options.tasks * 1000) / (lastCompletedAt - startedAt)),
      publishToRunningMs: percentiles(toRunning),
      publishToCompletedMs: percentiles(toCompleted),
    };
  } finally {
    await amqp.withChannel((channel) => channel.deleteQueue(queue)).catch(() => undefined);
    await amqp.close();
  }
}

import type { EventEmitter } from 'node:events';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerAmqpMetrics } from '@wlm/commons/metrics';
import type { AmqpConnection } from '@wlm/commons/amqp';
import type { WorkerEvents, WorkerTaskInfo } from '../runtime/worker-events';

/** What the metrics read: the worker's load on each scrape, and its events as they happen. */
export interface WorkerMetricsSource {
  readonly runningTasks: number;
  readonly info: { readonly slots: number; readonly queue: string };
  on: EventEmitter<WorkerEvents>['on'];
  /** The broker side (connection, dead letters, its queue's depth); left out by tests of the rest. */
  readonly broker?: AmqpConnection;
}

/** How a run ended, as the `outcome` label says it. */
type Outcome = 'completed' | 'failed' | 'cancelled' | 'deferred' | 'handed_back';

/** Task runs from a tenth of a second to a day (a plugin that holds its slot while it works). */
const DURATION_BUCKETS_SECONDS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86_400];

/**
 * Prometheus metrics of one worker: runs by task type and outcome, how long each run took, and the
 * end-to-end latency of each task attempt — from the orchestrator's request (`requestedAt`) to the
 * run's end here, queueing and placement included (clocks of two hosts: keep them in sync).
 */
export function createWorkerMetrics(source: WorkerMetricsSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wlm_worker_' });
  new Gauge({
    name: 'wlm_worker_slots',
    help: 'Tasks this worker runs at once at most',
    registers: [registry],
    collect() {
      this.set(source.info.slots);
    },
  });
  new Gauge({
    name: 'wlm_worker_busy_slots',
    help: 'Tasks running now',
    registers: [registry],
    collect() {
      this.set(source.runningTasks);
    },
  });
  const started = new Counter({
    name: 'wlm_worker_started_tasks_total',
    help: 'Task runs started, by task type',
    labelNames: ['task_type'],
    registers: [registry],
  });
  const ended = new Counter({
    name: 'wlm_worker_finished_tasks_total',
    help: 'Task runs ended, by task type and outcome (completed, failed, cancelled, deferred, handed_back)',
    labelNames: ['task_type', 'outcome'],
    registers: [registry],
  });
  const failed = new Counter({
    name: 'wlm_worker_failed_tasks_total',
    help: 'Task runs that failed, by task type, error code and whether another attempt may succeed',
    labelNames: ['task_type', 'error_code', 'retryable'],
    registers: [registry],
  });
  const runSeconds = new Histogram({
    name: 'wlm_worker_task_run_seconds',
    help: 'From the start of a run to its end on this worker, by task type and outcome',
    labelNames: ['task_type', 'outcome'],
    buckets: DURATION_BUCKETS_SECONDS,
    registers: [registry],
  });
  const endToEnd = new Histogram({
    name: 'wlm_worker_task_latency_seconds',
    help: "From the orchestrator's request of an attempt (or round) to the end of its run, by task type and outcome",
    labelNames: ['task_type', 'outcome'],
    buckets: DURATION_BUCKETS_SECONDS,
    registers: [registry],
  });

  const startedAt = new Map<string, number>();
  source.on('task:started', (task) => {
    startedAt.set(task.assignmentId, performance.now());
    started.inc({ task_type: task.taskType });
  });
  const end = (task: WorkerTaskInfo, outcome: Outcome): void => {
    const labels = { task_type: task.taskType, outcome };
    ended.inc(labels);
    const start = startedAt.get(task.assignmentId);
    startedAt.delete(task.assignmentId);
    // An assignment ended without running (cancelled before it started, a type not served) has no run.
    if (start !== undefined) runSeconds.observe(labels, (performance.now() - start) / 1000);
    const requested = Date.parse(task.requestedAt);
    if (outcome !== 'handed_back' && Number.isFinite(requested)) {
      endToEnd.observe(labels, Math.max(0, Date.now() - requested) / 1000);
    }
  };
  source.on('task:completed', (task) => end(task, 'completed'));
  source.on('task:failed', (task, failure) => {
    end(task, 'failed');
    failed.inc({
      task_type: task.taskType,
      error_code: failure.errorCode,
      retryable: String(failure.retryable),
    });
  });
  source.on('task:cancelled', (task) => end(task, 'cancelled'));
  source.on('task:deferred', (task) => end(task, 'deferred'));
  source.on('task:handed-back', (task) => end(task, 'handed_back'));
  if (source.broker !== undefined)
    registerAmqpMetrics(registry, 'worker', source.broker, () => [source.info.queue]);
  return registry;
}

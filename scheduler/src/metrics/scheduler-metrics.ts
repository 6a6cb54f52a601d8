import type { EventEmitter } from 'node:events';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerAmqpMetrics } from '@wlm/commons/metrics';
import type { AmqpConnection, WlmTopology } from '@wlm/commons/amqp';
import type { SchedulerServiceEvents } from '../service/service-events';
import type { SchedulerStatus } from '../service/scheduler-service';

/** What the metrics read: the service's status on each scrape, and its events as they happen. */
export interface SchedulerMetricsSource {
  status(): SchedulerStatus;
  on: EventEmitter<SchedulerServiceEvents>['on'];
  /** The broker side (connection, dead letters, queue depths); left out by tests of the rest. */
  broker?: { amqp: AmqpConnection; topology: WlmTopology };
}

/** Placement waits from a few milliseconds (a free slot at hand) to an hour (a long backlog). */
const PLACEMENT_BUCKETS_SECONDS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
];

/**
 * Prometheus metrics of one scheduler instance. Backlog and worker gauges are read from `status()`
 * at scrape time, so they can never drift from what the dispatcher and the registry hold; counters
 * and the placement histogram follow the service events.
 */
export function createSchedulerMetrics(source: SchedulerMetricsSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wlm_scheduler_' });
  registerStatusGauges(registry, source);
  const byType = (name: string, help: string): Counter<'task_type'> =>
    new Counter({ name, help, labelNames: ['task_type'], registers: [registry] });
  const placed = byType(
    'wlm_scheduler_placed_tasks_total',
    'Task requests assigned to a worker, by task type',
  );
  const retried = byType(
    'wlm_scheduler_retried_tasks_total',
    'Retryable failures answered with another attempt, by task type',
  );
  const continued = byType(
    'wlm_scheduler_continued_rounds_total',
    'Rounds of tasks that run in rounds (batch jobs being followed) requested after a checkpoint',
  );
  const exhausted = byType(
    'wlm_scheduler_exhausted_tasks_total',
    'Tasks that failed for good after their last allowed attempt, by task type',
  );
  const unschedulable = byType(
    'wlm_scheduler_unschedulable_tasks_total',
    'Tasks failed for good because no worker could take them within their queue timeout, by task type',
  );
  const placement = new Histogram({
    name: 'wlm_scheduler_placement_latency_seconds',
    help: 'From a request reaching this scheduler (or the end of its retry backoff) to its assignment to a worker',
    labelNames: ['task_type'],
    buckets: PLACEMENT_BUCKETS_SECONDS,
    registers: [registry],
  });
  const failedWorkers = new Counter({
    name: 'wlm_scheduler_failed_workers_total',
    help: 'Workers reported failed by Serf',
    registers: [registry],
  });
  source.on('task:placed', ({ request, waitedMs }) => {
    placed.inc({ task_type: request.taskType });
    placement.observe({ task_type: request.taskType }, waitedMs / 1000);
  });
  source.on('task:retried', ({ request }) => retried.inc({ task_type: request.taskType }));
  source.on('task:continued', (request) => continued.inc({ task_type: request.taskType }));
  source.on('task:exhausted', (request) => exhausted.inc({ task_type: request.taskType }));
  source.on('task:unschedulable', (request) => unschedulable.inc({ task_type: request.taskType }));
  source.on('worker:failed', () => failedWorkers.inc());
  if (source.broker !== undefined) {
    const { amqp, topology } = source.broker;
    registerAmqpMetrics(registry, 'scheduler', amqp, () => schedulerQueues(source.status(), topology));
  }
  return registry;
}

function registerStatusGauges(registry: Registry, source: SchedulerMetricsSource): void {
  const gauge = (name: string, help: string, read: (status: SchedulerStatus) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(source.status()));
      },
    });
  };
  gauge(
    'wlm_scheduler_held_requests',
    'Task requests waiting for a capable worker with a free slot',
    (s) => s.requests.held,
  );
  gauge(
    'wlm_scheduler_deferred_requests',
    'Retries waiting for their backoff (notBefore)',
    (s) => s.requests.deferred,
  );
  gauge(
    'wlm_scheduler_oldest_held_wait_seconds',
    'How long the longest-waiting held request has waited',
    (s) => s.requests.oldestWaitMs / 1000,
  );
  gauge('wlm_scheduler_alive_workers', 'Alive workers advertised over Serf', (s) => s.workers);
  new Gauge({
    name: 'wlm_scheduler_live_workers',
    help: 'Alive workers that advertise each task type',
    labelNames: ['task_type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [type, count] of Object.entries(source.status().workersByType))
        this.set({ task_type: type }, count);
    },
  });
  new Gauge({
    name: 'wlm_scheduler_waiting_types',
    help: 'Task types whose requests wait for a live worker that runs them',
    registers: [registry],
    collect() {
      this.set(Object.keys(source.status().waitingTypes).length);
    },
  });
}

/** The front door and the request queue of every task type this instance knows of. */
function schedulerQueues(status: SchedulerStatus, topology: WlmTopology): string[] {
  const types = new Set([
    ...Object.keys(status.workersByType),
    ...Object.keys(status.waitingTypes),
    ...status.requests.consumedTypes,
  ]);
  return [topology.queues.schedulerRequests, ...[...types].sort().map((type) => topology.requestQueue(type))];
}

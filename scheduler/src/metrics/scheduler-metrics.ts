import type { EventEmitter } from 'node:events';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { SchedulerServiceEvents } from '../service/service-events';
import type { SchedulerStatus } from '../service/scheduler-service';

/** What the metrics read: the service's status on each scrape, and its events as they happen. */
export interface SchedulerMetricsSource {
  status(): SchedulerStatus;
  on: EventEmitter<SchedulerServiceEvents>['on'];
}

/**
 * Prometheus metrics of one scheduler instance. Backlog gauges are read from `status()` at scrape
 * time, so they can never drift from what the dispatcher holds; counters follow the service events.
 */
export function createSchedulerMetrics(source: SchedulerMetricsSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wlm_scheduler_process_' });
  new Gauge({
    name: 'wlm_scheduler_held_requests',
    help: 'Task requests waiting for a capable worker with a free slot',
    registers: [registry],
    collect() {
      this.set(source.status().requests.held);
    },
  });
  new Gauge({
    name: 'wlm_scheduler_deferred_requests',
    help: 'Retries waiting for their backoff (notBefore)',
    registers: [registry],
    collect() {
      this.set(source.status().requests.deferred);
    },
  });
  new Gauge({
    name: 'wlm_scheduler_oldest_held_wait_seconds',
    help: 'How long the longest-waiting held request has waited',
    registers: [registry],
    collect() {
      this.set(source.status().requests.oldestWaitMs / 1000);
    },
  });
  new Gauge({
    name: 'wlm_scheduler_alive_workers',
    help: 'Alive workers advertised over Serf',
    registers: [registry],
    collect() {
      this.set(source.status().workers);
    },
  });
  const placed = new Counter({
    name: 'wlm_scheduler_placed_tasks_total',
    help: 'Task requests assigned to a worker',
    registers: [registry],
  });
  const retried = new Counter({
    name: 'wlm_scheduler_retried_tasks_total',
    help: 'Retryable failures answered with another attempt',
    registers: [registry],
  });
  const continued = new Counter({
    name: 'wlm_scheduler_continued_rounds_total',
    help: 'Rounds of tasks that run in rounds (batch jobs being followed) requested after a checkpoint',
    registers: [registry],
  });
  const exhausted = new Counter({
    name: 'wlm_scheduler_exhausted_tasks_total',
    help: 'Tasks that failed for good after their last allowed attempt',
    registers: [registry],
  });
  const failedWorkers = new Counter({
    name: 'wlm_scheduler_failed_workers_total',
    help: 'Workers reported failed by Serf',
    registers: [registry],
  });
  source.on('task:placed', () => placed.inc());
  source.on('task:retried', () => retried.inc());
  source.on('task:continued', () => continued.inc());
  source.on('task:exhausted', () => exhausted.inc());
  source.on('worker:failed', () => failedWorkers.inc());
  return registry;
}

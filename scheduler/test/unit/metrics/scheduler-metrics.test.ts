import { EventEmitter } from 'node:events';
import type { SchedulerServiceEvents, SchedulerStatus } from '@wlm/scheduler';
import { createSchedulerMetrics } from '@wlm/scheduler';

function statusWith(held: number, oldestWaitMs: number): SchedulerStatus {
  return {
    state: 'running',
    instanceId: 's1',
    namespace: 'wlm',
    workers: 3,
    workersByType: { echo: 3, shell: 1 },
    requests: { held, deferred: 1, sending: 0, oldestWaitMs, placed: 0, consumedTypes: ['echo'] },
    waitingTypes: {},
    watchedLostWorkers: 0,
  };
}

function valueOf(text: string, metric: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${metric} `));
  return line === undefined ? undefined : Number(line.slice(metric.length + 1));
}

describe('createSchedulerMetrics', () => {
  it('reports the backlog as it is at scrape time', async () => {
    let current = statusWith(4, 2500);
    const events = new EventEmitter<SchedulerServiceEvents>();
    const registry = createSchedulerMetrics({ status: () => current, on: events.on.bind(events) });
    let text = await registry.metrics();
    expect(valueOf(text, 'wlm_scheduler_held_requests')).toBe(4);
    expect(valueOf(text, 'wlm_scheduler_oldest_held_wait_seconds')).toBe(2.5);
    expect(valueOf(text, 'wlm_scheduler_deferred_requests')).toBe(1);
    expect(valueOf(text, 'wlm_scheduler_alive_workers')).toBe(3);
    expect(valueOf(text, 'wlm_scheduler_live_workers{task_type="echo"}')).toBe(3);
    expect(valueOf(text, 'wlm_scheduler_live_workers{task_type="shell"}')).toBe(1);
    current = statusWith(0, 0);
    text = await registry.metrics();
    expect(valueOf(text, 'wlm_scheduler_held_requests')).toBe(0);
  });

  it('counts placements, retries, continued rounds, exhausted and unschedulable tasks by type, and failed workers', async () => {
    const events = new EventEmitter<SchedulerServiceEvents>();
    const registry = createSchedulerMetrics({ status: () => statusWith(0, 0), on: events.on.bind(events) });
    const request = { taskType: 'echo' } as SchedulerServiceEvents['task:exhausted'][0];
    const shell = { taskType: 'shell' } as SchedulerServiceEvents['task:exhausted'][0];
    events.emit('task:placed', { request, workerId: 'w1', assignmentId: 'a1', waitedMs: 3 });
    events.emit('task:placed', { request, workerId: 'w2', assignmentId: 'a2', waitedMs: 40_000 });
    events.emit('task:placed', { request: shell, workerId: 'w2', assignmentId: 'a3', waitedMs: 3 });
    events.emit('task:retried', { request, delayMs: 1000 });
    events.emit('task:continued', request);
    events.emit('task:continued', request);
    events.emit('task:exhausted', request);
    events.emit('task:unschedulable', shell);
    const text = await registry.metrics();
    expect(valueOf(text, 'wlm_scheduler_placed_tasks_total{task_type="echo"}')).toBe(2);
    expect(valueOf(text, 'wlm_scheduler_placed_tasks_total{task_type="shell"}')).toBe(1);
    expect(valueOf(text, 'wlm_scheduler_retried_tasks_total{task_type="echo"}')).toBe(1);
    expect(valueOf(text, 'wlm_scheduler_continued_rounds_total{task_type="echo"}')).toBe(2);
    expect(valueOf(text, 'wlm_scheduler_exhausted_tasks_total{task_type="echo"}')).toBe(1);
    expect(valueOf(text, 'wlm_scheduler_unschedulable_tasks_total{task_type="shell"}')).toBe(1);
    expect(valueOf(text, 'wlm_scheduler_failed_workers_total')).toBe(0);
    expect(valueOf(text, 'wlm_scheduler_placement_latency_seconds_count{task_type="echo"}')).toBe(2);
    expect(valueOf(text, 'wlm_scheduler_placement_latency_seconds_bucket{le="0.005",task_type="echo"}')).toBe(
      1,
    );
    expect(valueOf(text, 'wlm_scheduler_placement_latency_seconds_bucket{le="60",task_type="echo"}')).toBe(2);
  });
});

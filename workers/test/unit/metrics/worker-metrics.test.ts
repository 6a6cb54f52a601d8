import { EventEmitter } from 'node:events';
import { createWorkerMetrics } from '@wlm/workers';
import type { WorkerEvents, WorkerTaskInfo } from '@wlm/workers';

function task(assignmentId: string, requestedAgoMs: number): WorkerTaskInfo {
  return {
    assignmentId,
    experimentId: 'e1',
    taskId: assignmentId,
    attempt: 1,
    taskType: 'echo',
    requestedAt: new Date(Date.now() - requestedAgoMs).toISOString(),
  };
}

function valueOf(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe('createWorkerMetrics', () => {
  it('counts runs by outcome and times runs and their end-to-end latency from the request', async () => {
    const events = new EventEmitter<WorkerEvents>();
    let running = 1;
    const registry = createWorkerMetrics({
      get runningTasks() {
        return running;
      },
      info: { slots: 4, queue: 'wlm.worker.w1' },
      on: events.on.bind(events),
    });
    const done = task('a1', 42_000);
    events.emit('task:started', done);
    events.emit('task:completed', done);
    const failing = task('a2', 10);
    events.emit('task:started', failing);
    events.emit('task:failed', failing, { reason: 'boom', retryable: true, errorCode: 'BOOM' });
    // Never started here (a type not served): counted, but no run to time.
    events.emit('task:failed', task('a3', 10), { reason: 'no plugin', retryable: true, errorCode: 'X' });
    const back = task('a4', 10);
    events.emit('task:started', back);
    events.emit('task:handed-back', back);
    running = 0;

    const text = await registry.metrics();
    expect(valueOf(text, 'wlm_worker_slots')).toBe(4);
    expect(valueOf(text, 'wlm_worker_busy_slots')).toBe(0);
    expect(valueOf(text, 'wlm_worker_started_tasks_total{task_type="echo"}')).toBe(3);
    const finished = (outcome: string): number | undefined =>
      valueOf(text, `wlm_worker_finished_tasks_total{task_type="echo",outcome="${outcome}"}`);
    expect([finished('completed'), finished('failed'), finished('handed_back')]).toEqual([1, 2, 1]);
    expect(
      valueOf(text, 'wlm_worker_failed_tasks_total{task_type="echo",error_code="BOOM",retryable="true"}'),
    ).toBe(1);
    expect(valueOf(text, 'wlm_worker_task_run_seconds_count{task_type="echo",outcome="failed"}')).toBe(1);
    // A run handed back has not ended for the task: no end-to-end latency for it.
    expect(
      valueOf(text, 'wlm_worker_task_latency_seconds_count{task_type="echo",outcome="handed_back"}'),
    ).toBe(undefined);
    // Requested 42 s before it completed: in the 60 s bucket, not the 30 s one.
    const bucket = (le: string): number | undefined =>
      valueOf(
        text,
        `wlm_worker_task_latency_seconds_bucket{le="${le}",task_type="echo",outcome="completed"}`,
      );
    expect([bucket('30'), bucket('60')]).toEqual([0, 1]);
  });
});

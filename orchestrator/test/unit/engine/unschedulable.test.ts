import { taskEventSchema } from '@wlm/commons/wire';
import type { TaskEvent } from '@wlm/commons/wire';
import type { TaskRun } from '../../../src/domain/records';
import { isRecorded, taskWaitingAudit } from '../../../src/engine/task-event-records';
import type { WaitEvent } from '../../../src/engine/task-event-records';
import { isSupersededUnschedulable, placedAttempts } from '../../../src/engine/unschedulable';

const at = '2026-01-01T00:00:00.000Z';
const base = { v: 1, experimentId: 'exp-1', run: 1, at } as const;

const timeout = (taskId: string, attempt: number): TaskEvent =>
  taskEventSchema.parse({
    ...base,
    taskId,
    attempt,
    state: 'FAILED',
    retryable: false,
    errorCode: 'TASK_UNSCHEDULABLE',
    reason: 'not placed within its queue timeout of 1000 ms (task type gpu-sim): no live worker runs gpu-sim',
  });

function run(taskId: string, attempt: number, state: TaskRun['state'], workerId: string | null): TaskRun {
  return {
    experimentId: 'exp-1',
    run: 1,
    taskId,
    attempt,
    workerId,
    state,
    reason: null,
    outputs: null,
    startedAt: null,
    endedAt: null,
    updatedAt: new Date(at),
  };
}

describe('a queue timeout (TASK_UNSCHEDULABLE) in the orchestrator', () => {
  it('stands for an attempt no worker was given', () => {
    const placed = placedAttempts([run('a', 1, 'QUEUED', null)], [timeout('a', 1)]);
    expect(isSupersededUnschedulable(timeout('a', 1), placed)).toBe(false);
  });

  it('is dropped for an attempt the stores or the same batch show on a worker', () => {
    const queuedInBatch = taskEventSchema.parse({
      ...base,
      taskId: 'c',
      attempt: 1,
      state: 'QUEUED',
      workerId: 'w1',
      assignmentId: 'x',
    });
    const placed = placedAttempts(
      [run('a', 1, 'QUEUED', 'w1'), run('b', 1, 'RUNNING', null)],
      [timeout('a', 1), timeout('b', 1), queuedInBatch, timeout('c', 1)],
    );
    for (const taskId of ['a', 'b', 'c'])
      expect(isSupersededUnschedulable(timeout(taskId, 1), placed)).toBe(true);
    // Another attempt of a placed task is a different matter.
    expect(isSupersededUnschedulable(timeout('a', 2), placed)).toBe(false);
  });
});

describe('a WAITING event in the orchestrator', () => {
  const waiting = taskEventSchema.parse({
    ...base,
    taskId: 'sim',
    attempt: 1,
    state: 'WAITING',
    taskType: 'gpu-sim',
    message: 'waiting for a worker that runs gpu-sim',
  }) as WaitEvent;

  it('changes no stored state and is audited as a wait for a worker, once per attempt', () => {
    expect(isRecorded(waiting)).toBe(false);
    expect(taskWaitingAudit(waiting, 3)).toMatchObject({
      type: 'task.waiting',
      actor: 'scheduler',
      reason: 'waiting for a worker that runs gpu-sim',
      details: { run: 3, attempt: 1, taskType: 'gpu-sim', waitsFor: 'worker' },
      dedupeKey: 'task:exp-1:3:sim:1:WAITING',
    });
  });
});

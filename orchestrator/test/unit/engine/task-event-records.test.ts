import { taskEventSchema } from '@wlm/commons/wire';
import type { TaskEventOf } from '@wlm/commons/wire';
import {
  isRecorded,
  taskAuditEvents,
  taskReportOf,
  taskRunUpdate,
  taskWaitingAudit,
} from '../../../src/engine/task-event-records';
import type { RecordedEvent } from '../../../src/engine/task-event-records';

const deferred = taskEventSchema.parse({
  v: 1,
  experimentId: 'exp-1',
  run: 1,
  taskId: 'run-job',
  attempt: 2,
  at: '2026-01-01T00:00:00.000Z',
  state: 'DEFERRED',
  workerId: 'w1',
  message: 'SLURM job 42: PENDING (Priority)',
  request: {
    v: 1,
    experimentId: 'exp-1',
    taskId: 'run-job',
    attempt: 2,
    run: 3,
    taskType: 'job-submission',
    context: {},
    priority: 5,
    requestedAt: '2025-12-31T23:00:00.000Z',
    notBefore: '2026-01-01T00:00:30.000Z',
    continuation: { round: 4, checkpoint: { job: { id: '42' } } },
  },
}) as TaskEventOf<'DEFERRED'>;

describe('a DEFERRED event in the orchestrator', () => {
  it('changes no stored state', () => {
    expect(isRecorded(deferred)).toBe(false);
  });

  it('is audited as what the task waits for, once per round', () => {
    expect(taskWaitingAudit(deferred, 3)).toEqual({
      experimentId: 'exp-1',
      taskId: 'run-job',
      type: 'task.waiting',
      actor: 'worker:w1',
      reason: 'SLURM job 42: PENDING (Priority)',
      details: { run: 3, attempt: 2, nextRound: 4, workerId: 'w1', notBefore: '2026-01-01T00:00:30.000Z' },
      at: new Date('2026-01-01T00:00:00.000Z'),
      dedupeKey: 'task:exp-1:3:run-job:2:DEFERRED:4',
    });
  });
});

describe('what a worker reports besides the state', () => {
  const base = { v: 1, experimentId: 'exp-1', run: 2, taskId: 'a', attempt: 3, workerId: 'w1' } as const;
  const at = '2026-01-01T00:00:05.000Z';

  it('keeps the progress of a PROGRESS event and the log tail any event carries', () => {
    const progress = taskEventSchema.parse({
      ...base,
      at,
      state: 'PROGRESS',
      message: 'half way',
      percent: 50,
    });
    expect(taskReportOf(progress, 2)).toEqual({
      experimentId: 'exp-1',
      run: 2,
      taskId: 'a',
      attempt: 3,
      progress: { message: 'half way', percent: 50, at: new Date(at) },
    });
    const completed = taskEventSchema.parse({
      ...base,
      at,
      state: 'COMPLETED',
      outputs: {},
      logTail: 'one\ntwo',
    });
    expect(taskReportOf(completed, 2)).toEqual({
      experimentId: 'exp-1',
      run: 2,
      taskId: 'a',
      attempt: 3,
      logTail: { text: 'one\ntwo', at: new Date(at) },
    });
  });

  it('has nothing to keep from an event that says neither', () => {
    const running = taskEventSchema.parse({ ...base, at, state: 'RUNNING' });
    expect(taskReportOf(running, 2)).toBeUndefined();
  });
});

describe('a terminal event that carries the start of its run (no RUNNING went out)', () => {
  const identity = { v: 1, experimentId: 'exp-1', run: 2, taskId: 'a', attempt: 1, workerId: 'w1' };
  const startedAt = '2026-01-01T00:00:00.010Z';
  const endedAt = '2026-01-01T00:00:00.030Z';
  const completed = taskEventSchema.parse({
    ...identity,
    at: endedAt,
    state: 'COMPLETED',
    outputs: { ok: true },
    startedAt,
  }) as RecordedEvent;

  it('records the start on the task run with the end', () => {
    expect(taskRunUpdate(completed, 2)).toMatchObject({
      state: 'COMPLETED',
      workerId: 'w1',
      startedAt: new Date(startedAt),
      endedAt: new Date(endedAt),
    });
  });

  it('audits the start as the RUNNING transition it would have been, then its own', () => {
    const [started, ended, ...rest] = taskAuditEvents(completed, 2);
    expect(rest).toEqual([]);
    expect(started).toMatchObject({
      type: 'task.transitioned',
      toState: 'RUNNING',
      actor: 'worker:w1',
      at: new Date(startedAt),
      dedupeKey: 'task:exp-1:2:a:1:RUNNING',
    });
    expect(ended).toMatchObject({ toState: 'COMPLETED', at: new Date(endedAt) });
  });

  it('audits one transition, and sets no start, for an event without one', () => {
    const failed = taskEventSchema.parse({
      ...identity,
      at: endedAt,
      state: 'FAILED',
      reason: 'boom',
      retryable: false,
    }) as RecordedEvent;
    expect(taskAuditEvents(failed, 2).map((audit) => audit.toState)).toEqual(['FAILED']);
    expect(taskRunUpdate(failed, 2)).not.toHaveProperty('startedAt');
  });
});

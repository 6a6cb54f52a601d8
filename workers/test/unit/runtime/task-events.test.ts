import { taskAssignmentSchema, taskEventSchema } from '@wlm/commons/wire';
import type { TaskAssignment } from '@wlm/commons/wire';
import {
  cancelledEvent,
  deferredEvent,
  failedEvent,
  progressEvent,
  retryRequestOf,
} from '../../../src/runtime/task-events';

const assignment: TaskAssignment = taskAssignmentSchema.parse({
  v: 1,
  experimentId: 'exp-1',
  run: 1,
  taskId: 'stage-in',
  attempt: 2,
  taskType: 'echo',
  context: { message: 'hi' },
  priority: 7,
  retry: { maxAttempts: 3, backoffMs: 100 },
  timeoutMs: 60_000,
  requestedAt: '2026-01-01T00:00:00.000Z',
  excludeWorkers: ['w0'],
  assignmentId: 'as-1',
  workerId: 'w1',
  assignedAt: '2026-01-01T00:00:01.000Z',
});

describe('retryRequestOf', () => {
  it('is the request without placement fields, otherwise unchanged', () => {
    const request = retryRequestOf(assignment);
    expect(request).not.toHaveProperty('assignmentId');
    expect(request).not.toHaveProperty('workerId');
    expect(request).not.toHaveProperty('assignedAt');
    expect(request).toMatchObject({
      experimentId: 'exp-1',
      run: 1,
      taskId: 'stage-in',
      attempt: 2,
      taskType: 'echo',
      context: { message: 'hi' },
      priority: 7,
      retry: { maxAttempts: 3, backoffMs: 100 },
      timeoutMs: 60_000,
      requestedAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it("leaves worker exclusion to the scheduler: the list is the assignment's, the worker only named as the event's workerId", () => {
    expect(retryRequestOf(assignment).excludeWorkers).toEqual(['w0']);
    const event = failedEvent(assignment, 'w1', { reason: 'busy', retryable: true, errorCode: 'BUSY' });
    expect(event.workerId).toBe('w1');
    expect(event.request?.excludeWorkers).toEqual(['w0']);
  });
});

describe('worker task events', () => {
  it('attaches the retry request to retryable failures only', () => {
    const retryable = failedEvent(assignment, 'w1', { reason: 'busy', retryable: true, errorCode: 'BUSY' });
    const final = failedEvent(assignment, 'w1', { reason: 'bad input', retryable: false, errorCode: 'BAD' });
    expect(taskEventSchema.parse(retryable)).toMatchObject({ state: 'FAILED', request: { attempt: 2 } });
    expect(final).not.toHaveProperty('request');
  });

  it('keeps every field within the wire limits', () => {
    const event = failedEvent(assignment, 'w1', {
      reason: 'x'.repeat(10_000),
      retryable: false,
      errorCode: 'C'.repeat(100),
    });
    expect(() => taskEventSchema.parse(event)).not.toThrow();
    expect(() => taskEventSchema.parse(cancelledEvent(assignment, 'w1', 'y'.repeat(9000)))).not.toThrow();
  });

  it('turns any progress report into a valid PROGRESS event', () => {
    for (const progress of [
      { message: '' },
      { message: '', percent: 50 },
      { message: 'step 2', percent: 20 },
    ]) {
      expect(() => taskEventSchema.parse(progressEvent(assignment, 'w1', progress))).not.toThrow();
    }
  });
});

describe('deferredEvent', () => {
  const continuation = { checkpoint: { jobId: '42' }, delayMs: 30_000, message: 'job 42 PENDING' };

  it('carries the next round: the same attempt and request, due after the delay, with the checkpoint', () => {
    const event = taskEventSchema.parse(deferredEvent(assignment, 'w1', continuation));
    if (event.state !== 'DEFERRED') throw new Error(`expected DEFERRED, got ${event.state}`);
    expect(event).toMatchObject({ workerId: 'w1', attempt: 2, message: 'job 42 PENDING' });
    expect(event.request).not.toHaveProperty('assignmentId');
    expect(event.request).toMatchObject({
      attempt: 2,
      requestedAt: '2026-01-01T00:00:00.000Z',
      excludeWorkers: ['w0'],
      continuation: { round: 2, checkpoint: { jobId: '42' } },
    });
    expect(Date.parse(event.request.notBefore ?? '')).toBe(Date.parse(event.at) + 30_000);
  });

  it('numbers the round after the one that ran', () => {
    const third = { ...assignment, continuation: { round: 2, checkpoint: { jobId: '42' } } };
    const event = deferredEvent(third, 'w1', { ...continuation, checkpoint: { jobId: '42', polls: 2 } });
    expect(event.request.continuation).toEqual({ round: 3, checkpoint: { jobId: '42', polls: 2 } });
  });
});

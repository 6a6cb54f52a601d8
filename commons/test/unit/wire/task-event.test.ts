import {
  TERMINAL_TASK_EVENT_STATES,
  encodeMessage,
  parseMessage,
  runStartOf,
  taskEventRoutingKey,
  taskEventSchema,
} from '@wlm/commons/wire';
import type { TaskEvent } from '@wlm/commons/wire';
import { eventBase, issuesOf, validRequest, without } from './wire-fixtures';

describe('TaskEvent', () => {
  const valid: Record<TaskEvent['state'], object> = {
    QUEUED: { ...eventBase(), state: 'QUEUED', assignmentId: 'as-1' },
    RUNNING: { ...eventBase(), state: 'RUNNING' },
    PROGRESS: { ...eventBase(), state: 'PROGRESS', message: 'staged 3 of 4 files', percent: 75 },
    COMPLETED: { ...eventBase(), state: 'COMPLETED', outputs: { jobId: '1234', files: ['out.dat'] } },
    FAILED: {
      ...eventBase(),
      state: 'FAILED',
      reason: 'sbatch exited 1',
      retryable: true,
      errorCode: 'EXIT_1',
    },
    CANCELLED: { ...eventBase(), state: 'CANCELLED', reason: 'cancelled by admin' },
    WAITING: {
      ...without(eventBase(), 'workerId'),
      state: 'WAITING',
      taskType: 'gpu-sim',
      message: 'waiting for a worker that runs gpu-sim',
    },
    DEFERRED: {
      ...eventBase(),
      state: 'DEFERRED',
      message: 'SLURM job 42 is PENDING (Priority)',
      request: {
        ...validRequest(),
        notBefore: '2025-01-02T03:05:05.678Z',
        continuation: { round: 2, checkpoint: { jobId: '42' } },
      },
    },
  };

  it.each(Object.entries(valid))('accepts a %s event and narrows on state', (state, event) => {
    const parsed = parseMessage(taskEventSchema, encodeMessage(taskEventSchema, event as TaskEvent));
    expect(parsed).toEqual(event);
    expect(parsed.state).toBe(state);
    if (parsed.state === 'COMPLETED') expect(parsed.outputs).toEqual({ jobId: '1234', files: ['out.dat'] });
    if (parsed.state === 'FAILED') expect(parsed.retryable).toBe(true);
  });

  it('lets the scheduler fail or cancel a task that never reached a worker', () => {
    const noWorker = without(eventBase(), 'workerId');
    const failed = { ...noWorker, state: 'FAILED', reason: 'retries exhausted', retryable: false };
    expect(parseMessage(taskEventSchema, failed)).toEqual(failed);
    expect(parseMessage(taskEventSchema, { ...noWorker, state: 'CANCELLED' }).state).toBe('CANCELLED');
    expect(issuesOf(() => parseMessage(taskEventSchema, { ...noWorker, state: 'RUNNING' }))).toEqual([
      expect.stringMatching(/^workerId: /),
    ]);
  });

  it.each(['COMPLETED', 'FAILED', 'CANCELLED', 'DEFERRED'] as const)(
    'lets a %s event carry the start of a run that sent no RUNNING, as a timestamp',
    (state) => {
      const event = { ...valid[state], startedAt: '2025-01-02T03:04:05.600Z' };
      expect(parseMessage(taskEventSchema, encodeMessage(taskEventSchema, event as TaskEvent))).toEqual(
        event,
      );
      expect(issuesOf(() => parseMessage(taskEventSchema, { ...valid[state], startedAt: 'soon' }))).toEqual([
        expect.stringMatching(/^startedAt: /),
      ]);
    },
  );

  it('reads when a run started from its RUNNING or from the startedAt of the event that ended it', () => {
    const parse = (event: object): TaskEvent => parseMessage(taskEventSchema, event);
    expect(runStartOf(parse(valid.RUNNING))).toBe(eventBase().at);
    const startedAt = '2025-01-02T03:04:05.600Z';
    expect(runStartOf(parse({ ...valid.COMPLETED, startedAt }))).toBe(startedAt);
    expect(runStartOf(parse({ ...valid.FAILED, startedAt }))).toBe(startedAt);
    expect(runStartOf(parse(valid.COMPLETED))).toBeUndefined();
    expect(runStartOf(parse(valid.QUEUED))).toBeUndefined();
  });

  it('rejects an unknown state, naming the discriminator', () => {
    const issues = issuesOf(() => parseMessage(taskEventSchema, { ...eventBase(), state: 'EXPLODED' }));
    expect(issues).toEqual([expect.stringMatching(/^state: .*RUNNING/)]);
  });

  it('requires FAILED to say whether a retry may help', () => {
    const issues = issuesOf(() =>
      parseMessage(taskEventSchema, { ...eventBase(), state: 'FAILED', reason: 'x' }),
    );
    expect(issues).toEqual([expect.stringMatching(/^retryable: /)]);
  });

  it('requires COMPLETED outputs to be JSON', () => {
    const issues = issuesOf(() =>
      parseMessage(taskEventSchema, { ...eventBase(), state: 'COMPLETED', outputs: { handle: () => 1 } }),
    );
    expect(issues).toEqual(['outputs.handle: not a JSON value (function)']);
  });

  it('requires PROGRESS to carry a message or a percent, and a percent within 0–100', () => {
    expect(issuesOf(() => parseMessage(taskEventSchema, { ...eventBase(), state: 'PROGRESS' }))).toEqual([
      'message: a PROGRESS event needs a message or a percent',
    ]);
    expect(
      issuesOf(() => parseMessage(taskEventSchema, { ...eventBase(), state: 'PROGRESS', percent: 101 })),
    ).toEqual([expect.stringMatching(/^percent: /)]);
  });

  it('requires the next round of a DEFERRED event to carry its continuation', () => {
    const deferred = { ...(valid.DEFERRED as TaskEvent & { request: object }) };
    const next = without(deferred.request as { continuation: unknown }, 'continuation');
    expect(issuesOf(() => parseMessage(taskEventSchema, { ...deferred, request: next }))).toEqual([
      expect.stringMatching(
        /^request\.continuation: the next round of a deferred task carries its continuation/,
      ),
    ]);
    const firstRound = { ...deferred.request, continuation: { round: 1, checkpoint: null } };
    expect(issuesOf(() => parseMessage(taskEventSchema, { ...deferred, request: firstRound }))).toEqual([
      expect.stringMatching(/^request\.continuation\.round: /),
    ]);
  });

  it('routes by state and knows which states are terminal', () => {
    expect(taskEventRoutingKey({ state: 'COMPLETED' })).toBe('task.completed');
    expect(taskEventRoutingKey({ state: 'DEFERRED' })).toBe('task.deferred');
    expect([...TERMINAL_TASK_EVENT_STATES].sort()).toEqual(['CANCELLED', 'COMPLETED', 'FAILED']);
  });
});

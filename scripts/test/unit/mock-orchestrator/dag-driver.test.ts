import { DagGraph, validateDagDefinition } from '@wlm/commons/dag';
import type { TaskEvent } from '@wlm/commons/wire';
import { DagDriver, MAX_FAILURES_KEPT } from '../../../src/mock-orchestrator/dag-driver';
import type { TaskDispatch } from '../../../src/mock-orchestrator/dag-driver';
import { generateDag } from '../../../src/mock-orchestrator/dag-generator';
import type { PlannedDag } from '../../../src/mock-orchestrator/run-plan';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function plan(experimentId: string, graph: DagGraph, priority = 5): PlannedDag {
  return { experimentId, priority, graph };
}

const chain3 = DagGraph.from(generateDag({ shape: 'chain', tasks: 3 }));
const fanout4 = DagGraph.from(generateDag({ shape: 'fanout', tasks: 4 }));

/** Task events as the scheduler and workers publish them. */
const ev = {
  running: (experimentId: string, taskId: string, attempt = 1, at = T0): TaskEvent => ({
    v: 1,
    state: 'RUNNING',
    experimentId,
    run: 1,
    taskId,
    attempt,
    at: iso(at),
    workerId: 'w1',
  }),
  completed: (experimentId: string, taskId: string, attempt = 1): TaskEvent => ({
    v: 1,
    state: 'COMPLETED',
    experimentId,
    run: 1,
    taskId,
    attempt,
    at: iso(T0),
    workerId: 'w1',
    outputs: { message: taskId },
  }),
  failed: (
    experimentId: string,
    taskId: string,
    attempt: number,
    retryable: boolean,
    errorCode = 'ECHO_INJECTED_FAILURE',
  ): TaskEvent => ({
    v: 1,
    state: 'FAILED',
    experimentId,
    run: 1,
    taskId,
    attempt,
    at: iso(T0),
    workerId: 'w1',
    reason: `attempt ${attempt} failed`,
    retryable,
    errorCode,
  }),
};

const ids = (dispatch: readonly TaskDispatch[]) => dispatch.map((d) => `${d.experimentId}:${d.taskId}`);

describe('DagDriver', () => {
  it('dispatches the roots first, then each task once its dependency completed, then finishes', () => {
    const driver = new DagDriver([plan('e1', chain3), plan('e2', chain3)]);
    expect(ids(driver.start(T0))).toEqual(['e1:t0', 'e2:t0']);
    expect(driver.onEvent(ev.running('e1', 't0'), T0 + 1)).toEqual({ outcome: 'progress', dispatch: [] });
    expect(ids(driver.onEvent(ev.completed('e1', 't0'), T0 + 2).dispatch)).toEqual(['e1:t1']);
    expect(ids(driver.onEvent(ev.completed('e1', 't1'), T0 + 3).dispatch)).toEqual(['e1:t2']);
    expect(driver.onEvent(ev.completed('e1', 't2'), T0 + 4).dispatch).toEqual([]);
    expect(driver.finished).toBe(false);
    expect(driver.counts()).toMatchObject({ dagsCompleted: 1, completed: 3, dispatched: 4, inFlight: 1 });

    driver.onEvent(ev.completed('e2', 't0'), T0 + 5);
    driver.onEvent(ev.completed('e2', 't1'), T0 + 6);
    driver.onEvent(ev.completed('e2', 't2'), T0 + 7);
    expect(driver.finished).toBe(true);
    expect(driver.counts()).toEqual({
      dags: 2,
      tasks: 6,
      dispatched: 6,
      completed: 6,
      failed: 0,
      retried: 0,
      skipped: 0,
      inFlight: 0,
      dagsCompleted: 2,
      dagsFailed: 0,
      duplicateEvents: 0,
      ignoredEvents: 0,
    });
  });

  it('dispatches a join only when every branch has completed', () => {
    const driver = new DagDriver([plan('e1', fanout4)]);
    driver.start(T0);
    expect(ids(driver.onEvent(ev.completed('e1', 't0'), T0).dispatch)).toEqual(['e1:t1', 'e1:t2']);
    expect(driver.onEvent(ev.completed('e1', 't2'), T0).dispatch).toEqual([]);
    expect(ids(driver.onEvent(ev.completed('e1', 't1'), T0).dispatch)).toEqual(['e1:t3']);
  });

  it('is idempotent: a redelivered COMPLETED neither dispatches again nor counts twice', () => {
    const driver = new DagDriver([plan('e1', fanout4)]);
    driver.start(T0);
    driver.onEvent(ev.completed('e1', 't0'), T0);
    expect(driver.onEvent(ev.completed('e1', 't0'), T0)).toEqual({ outcome: 'duplicate', dispatch: [] });
    driver.onEvent(ev.completed('e1', 't1'), T0);
    driver.onEvent(ev.completed('e1', 't2'), T0);
    expect(driver.onEvent(ev.completed('e1', 't2'), T0).dispatch).toEqual([]);
    expect(driver.onEvent(ev.running('e1', 't2'), T0).outcome).toBe('duplicate');
    expect(driver.counts()).toMatchObject({ completed: 3, dispatched: 4, duplicateEvents: 3 });
  });

  it('ignores events of other runs and of tasks it never dispatched', () => {
    const driver = new DagDriver([plan('e1', chain3)]);
    driver.start(T0);
    expect(driver.onEvent(ev.completed('other-run', 't0'), T0).outcome).toBe('foreign');
    expect(driver.onEvent(ev.completed('e1', 't2'), T0).outcome).toBe('unknown-task');
    expect(driver.counts()).toMatchObject({ completed: 0, ignoredEvents: 2 });
  });

  it('counts each retry once, whether announced by a retryable FAILED or seen in later events', () => {
    const driver = new DagDriver([plan('e1', chain3)]);
    driver.start(T0);
    expect(driver.onEvent(ev.failed('e1', 't0', 1, true), T0).outcome).toBe('retrying');
    expect(driver.counts().retried).toBe(1);
    driver.onEvent(ev.running('e1', 't0', 2), T0);
    driver.onEvent(ev.failed('e1', 't0', 1, true), T0); // redelivered
    expect(driver.counts().retried).toBe(1);
    expect(ids(driver.onEvent(ev.completed('e1', 't0', 2), T0).dispatch)).toEqual(['e1:t1']);
    // A retry the harness learns of only from its COMPLETED (the FAILED went elsewhere or is late).
    driver.onEvent(ev.completed('e1', 't1', 3), T0);
    expect(driver.counts()).toMatchObject({ retried: 3, completed: 2, failed: 0 });
  });

  it('fails the DAG on a FAILED that is not retryable, stops dispatching it and skips the rest', () => {
    const driver = new DagDriver([plan('e1', fanout4), plan('e2', chain3)]);
    driver.start(T0);
    driver.onEvent(ev.completed('e1', 't0'), T0);
    expect(driver.onEvent(ev.failed('e1', 't1', 1, false, 'BOOM'), T0).outcome).toBe('failed');
    // The sibling still running completes; it counts but the join is never dispatched.
    expect(driver.onEvent(ev.completed('e1', 't2'), T0)).toEqual({ outcome: 'completed', dispatch: [] });
    expect(driver.counts()).toMatchObject({
      dagsFailed: 1,
      failed: 1,
      completed: 2,
      skipped: 1,
      inFlight: 1,
    });
    expect(driver.finished).toBe(false); // e2 is still running
    expect(driver.failures()).toEqual([
      { experimentId: 'e1', taskId: 't1', attempt: 1, reason: 'attempt 1 failed', errorCode: 'BOOM' },
    ]);
  });

  it('does not count a retry the scheduler announced and then gave up on', () => {
    const driver = new DagDriver([plan('e1', chain3)]);
    driver.start(T0);
    driver.onEvent(ev.failed('e1', 't0', 1, true), T0);
    driver.onEvent(ev.running('e1', 't0', 2), T0);
    driver.onEvent(ev.failed('e1', 't0', 2, true), T0); // the worker announces attempt 3 …
    expect(driver.counts().retried).toBe(2);
    driver.onEvent(ev.failed('e1', 't0', 2, false, 'RETRIES_EXHAUSTED'), T0); // … the scheduler refuses it
    expect(driver.counts()).toMatchObject({ retried: 1, failed: 1, dagsFailed: 1, skipped: 2 });
    expect(driver.finished).toBe(true);
  });

  it('treats a CANCELLED task and a request that could not be published as final failures', () => {
    const driver = new DagDriver([plan('e1', chain3), plan('e2', chain3)]);
    driver.start(T0);
    driver.onEvent(
      { v: 1, state: 'CANCELLED', experimentId: 'e1', run: 1, taskId: 't0', attempt: 1, at: iso(T0) },
      T0,
    );
    driver.onPublishFailed('e2', 't0', 'unroutable');
    driver.onPublishFailed('e2', 't0', 'unroutable');
    expect(driver.counts()).toMatchObject({ failed: 2, dagsFailed: 2 });
    expect(driver.failures().map((f) => f.errorCode)).toEqual(['CANCELLED', 'PUBLISH_FAILED']);
    expect(driver.finished).toBe(true);
  });

  it('records latencies by priority: publish to COMPLETED, and publish to the first RUNNING', () => {
    const driver = new DagDriver([plan('hi', chain3, 9), plan('lo', chain3, 1)]);
    driver.start(T0);
    driver.onEvent(ev.running('hi', 't0', 1, T0 + 3), T0 + 4);
    driver.onEvent(ev.running('hi', 't0', 1, T0 + 9), T0 + 10); // redelivered: the first start counts
    driver.onEvent(ev.completed('hi', 't0'), T0 + 12);
    driver.onEvent(ev.completed('hi', 't1'), T0 + 20); // published at T0 + 12
    driver.onEvent(ev.running('lo', 't0', 1, T0 - 5), T0 + 30); // a worker clock behind ours: clamped
    driver.onEvent(ev.completed('lo', 't0'), T0 + 40);
    expect(driver.completionLatency.byPriority()).toEqual([
      { priority: 9, count: 2, p50Ms: 8, p99Ms: 12, maxMs: 12 },
      { priority: 1, count: 1, p50Ms: 40, p99Ms: 40, maxMs: 40 },
    ]);
    expect(driver.startLatency.byPriority()).toEqual([
      { priority: 9, count: 1, p50Ms: 3, p99Ms: 3, maxMs: 3 },
      { priority: 1, count: 1, p50Ms: 0, p99Ms: 0, maxMs: 0 },
    ]);
  });

  it('takes the start of a run that sent no RUNNING from the event that ended it', () => {
    const driver = new DagDriver([plan('e1', chain3)]);
    driver.start(T0);
    driver.onEvent({ ...ev.completed('e1', 't0'), startedAt: iso(T0 + 7) } as TaskEvent, T0 + 12);
    expect(driver.startLatency.byPriority()).toEqual([
      { priority: 5, count: 1, p50Ms: 7, p99Ms: 7, maxMs: 7 },
    ]);
  });

  it(`keeps the first ${MAX_FAILURES_KEPT} failure reasons only`, () => {
    const single = DagGraph.from(validateDagDefinition({ type: 'one', tasks: [{ id: 'a', type: 'echo' }] }));
    const plans = Array.from({ length: MAX_FAILURES_KEPT + 5 }, (_, i) => plan(`e${i}`, single));
    const driver = new DagDriver(plans);
    driver.start(T0);
    for (const p of plans) driver.onEvent(ev.failed(p.experimentId, 'a', 1, false), T0);
    expect(driver.counts().failed).toBe(MAX_FAILURES_KEPT + 5);
    expect(driver.failures()).toHaveLength(MAX_FAILURES_KEPT);
  });

  it('refuses duplicate experiments and a second start', () => {
    expect(() => new DagDriver([plan('e1', chain3), plan('e1', chain3)])).toThrow(/duplicate/);
    const driver = new DagDriver([plan('e1', chain3)]);
    driver.start(T0);
    expect(() => driver.start(T0)).toThrow(/twice/);
  });
});

import type { TaskEventOf } from '@wlm/commons/wire';
import { waitFor } from '@wlm/test-support';
import type { FakeWorker, Outcome } from '../support/fake-worker';
import type { BrokerProbe } from '../support/harness';
import { taskRequest } from '../support/harness';
import { SchedulerTestBed } from '../support/test-bed';

/*
 * Retries against real RabbitMQ and Serf: a worker's retryable FAILED (carrying its request) comes
 * back as the next attempt on a different worker, and the last allowed attempt's failure becomes the
 * task's final FAILED. Two fake workers run the `flaky` type and fail whatever the test says.
 */

jest.setTimeout(90_000);

const bed = new SchedulerTestBed();
const { topology } = bed;
let probe: BrokerProbe;
let first: FakeWorker;
let second: FakeWorker;

/** Attempts of a task id that must fail (retryably), by task id. */
const failingAttempts = new Map<string, number>();
/** Task ids that fail for good. */
const fatalTasks = new Set<string>();

function behaviour(assignment: { taskId: string; attempt: number }): Outcome {
  if (fatalTasks.has(assignment.taskId)) return { kind: 'fail', retryable: false, reason: 'bad input' };
  const failUpTo = failingAttempts.get(assignment.taskId) ?? 0;
  return assignment.attempt <= failUpTo
    ? { kind: 'fail', retryable: true, reason: `attempt ${assignment.attempt} failed on purpose` }
    : { kind: 'complete' };
}

beforeAll(async () => {
  const schedulerAgent = await bed.agents.start({ name: `${topology.namespace}-sched` });
  const scheduler = await bed.startScheduler(schedulerAgent);
  probe = await bed.openProbe();
  const known = new Set<string>();
  scheduler.on('worker:joined', (worker) => known.add(worker.workerId));
  const start = (suffix: string): Promise<FakeWorker> =>
    bed.startWorker({
      id: `${topology.namespace}-${suffix}`,
      join: schedulerAgent.bindAddr,
      slots: 2,
      taskTypes: { flaky: '1.0.0' },
      behaviour,
    });
  [first, second] = await Promise.all([start('one'), start('two')]);
  await waitFor('both workers known', () => known.has(first.id) && known.has(second.id));
});

afterAll(() => bed.stop());

const failedOf = (taskId: string): TaskEventOf<'FAILED'>[] =>
  probe.eventsOf('FAILED', (e) => e.taskId === taskId) as TaskEventOf<'FAILED'>[];

describe('retries', () => {
  it('runs the next attempt of a retryable failure on a different worker, after the backoff', async () => {
    failingAttempts.set('retry-me', 1);
    await probe.request(
      taskRequest('flaky', { taskId: 'retry-me', retry: { maxAttempts: 3, backoffMs: 300 } }),
    );
    await waitFor('attempt 2 to complete', () =>
      probe.eventsOf('COMPLETED').some((e) => e.taskId === 'retry-me' && e.attempt === 2),
    );
    const [failure] = failedOf('retry-me');
    const retried = probe.eventsOf('RUNNING', (e) => e.taskId === 'retry-me' && e.attempt === 2);
    expect(failure).toMatchObject({ attempt: 1, retryable: true });
    expect(retried).toHaveLength(1);
    expect(retried[0]?.workerId).not.toBe(failure?.workerId);
    // The backoff was honoured: attempt 2 started at least backoffMs after attempt 1 failed.
    expect(Date.parse(retried[0]?.at ?? '') - Date.parse(failure?.at ?? '')).toBeGreaterThanOrEqual(250);
    const secondAssignment = [...first.received, ...second.received].find(
      (a) => a.taskId === 'retry-me' && a.attempt === 2,
    );
    // The FAILED carried the request without excluding anyone: the exclusion is the scheduler's.
    expect(failure?.request?.excludeWorkers ?? []).toEqual([]);
    expect(secondAssignment?.excludeWorkers).toEqual([failure?.workerId]);
    // Each attempt ran exactly once.
    expect(probe.eventsOf('RUNNING', (e) => e.taskId === 'retry-me').map((e) => e.attempt)).toEqual([1, 2]);
  });

  it('publishes RETRIES_EXHAUSTED after maxAttempts, falling back to an excluded worker when all are', async () => {
    failingAttempts.set('doomed', 100);
    await probe.request(
      taskRequest('flaky', { taskId: 'doomed', retry: { maxAttempts: 3, backoffMs: 100 } }),
    );
    await waitFor('the final failure', () =>
      failedOf('doomed').some((e) => e.errorCode === 'RETRIES_EXHAUSTED'),
    );
    const failures = failedOf('doomed');
    const fromWorkers = failures.filter((e) => e.errorCode === 'TEST_FAILURE');
    expect(fromWorkers.map((e) => e.attempt)).toEqual([1, 2, 3]);
    // Attempts 1 and 2 on different workers; attempt 3 excluded both, so it fell back to one of them.
    expect(fromWorkers[1]?.workerId).not.toBe(fromWorkers[0]?.workerId);
    const final = failures.find((e) => e.errorCode === 'RETRIES_EXHAUSTED');
    expect(final).toMatchObject({ attempt: 3, retryable: false });
    expect(final?.request).toBeUndefined();
    expect(final?.reason).toContain('attempt 3 failed on purpose');
    // Nothing runs after the final failure.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(probe.eventsOf('RUNNING', (e) => e.taskId === 'doomed')).toHaveLength(3);
  });

  it('leaves a non-retryable failure final', async () => {
    fatalTasks.add('fatal');
    await probe.request(taskRequest('flaky', { taskId: 'fatal' }));
    await waitFor('the failure', () => failedOf('fatal').length === 1);
    // Proves an absence: a retry, had one been requested, would run within this time.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(failedOf('fatal')).toEqual([
      expect.objectContaining({ attempt: 1, retryable: false, errorCode: 'TEST_FAILURE' }),
    ]);
    expect(probe.eventsOf('RUNNING', (e) => e.taskId === 'fatal')).toHaveLength(1);
  });
});

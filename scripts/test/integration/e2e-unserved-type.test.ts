import { join } from 'node:path';
import type { TaskRequestInput } from '@wlm/commons/wire';
import { eventually, taskRequest } from '@wlm/test-support';
import { E2eCluster } from '../support/e2e-cluster';
import { ensureBuilt } from '../../../workers/test/support/ensure-built';

/*
 * Real `wlm scheduler` and `wlm worker` processes, two scheduler instances: 250 requests of a task
 * type no worker runs (a typo, or its workers are down) must not keep the echo worker from getting
 * echo tasks — before or after the schedulers restart; the unserved tasks say what they wait for,
 * the admin gets one mail, a queue timeout fails its task, and a worker that appears later for the
 * type gets the waiting tasks.
 */

jest.setTimeout(180_000);

const GPU_SIM = join(__dirname, '..', 'fixtures', 'gpu-sim.js');
const UNSERVED = 250;
/** `--type-wait-alert`: short, so the test sees the admin mail without a long wait. */
const ALERT_AFTER_S = 2;

let cluster: E2eCluster;

function request(
  experimentId: string,
  taskId: string,
  extra: Partial<TaskRequestInput> = {},
): TaskRequestInput {
  return taskRequest(experimentId, taskId, { context: { taskId }, ...extra });
}

function gpuRequests(experimentId: string, count: number, priority: number): TaskRequestInput[] {
  return Array.from({ length: count }, (_, i) =>
    request(experimentId, `gpu${i}`, { taskType: 'gpu-sim', priority: priority - (i % 3) }),
  );
}

async function startSchedulers(): Promise<void> {
  const args = ['--type-wait-alert', String(ALERT_AFTER_S)];
  await cluster.startScheduler({ args });
  await cluster.startScheduler({ args, ownAgent: true });
}

beforeAll(async () => {
  ensureBuilt(['scripts']);
  cluster = await E2eCluster.start();
  await startSchedulers();
  await cluster.startWorker({ name: 'echo', tasks: 'echo', slots: 2 });
});

afterAll(async () => {
  await cluster?.cleanUp(['gpu-sim']);
});

const gpuExperiment = (): string => `${cluster.namespace}.gpu`;
const gpuQueue = (): string => cluster.topology.requestQueue('gpu-sim');

describe('end to end: a task type no worker runs', () => {
  it('leaves 250 unserved requests waiting in the broker while echo requests run', async () => {
    // Higher priority than the echo tasks: priorities must not let them block other types either.
    await cluster.broker.request(...gpuRequests(gpuExperiment(), UNSERVED, 9));
    const echo = `${cluster.namespace}.echo1`;
    await cluster.broker.request(...Array.from({ length: 5 }, (_, i) => request(echo, `e${i}`)));
    await cluster.broker.completed(echo, 5, 15_000);

    // Each unserved task says what it waits for, once.
    const waiting = await eventually(
      `${UNSERVED} WAITING events`,
      () => cluster.broker.eventsOf('WAITING', gpuExperiment()),
      (events) => new Set(events.map((event) => event.taskId)).size === UNSERVED,
      30_000,
    );
    expect(new Set(waiting.map((event) => event.message))).toEqual(
      new Set(['waiting for a worker that runs gpu-sim']),
    );
    // They wait in the broker, in their type's queue, not in any scheduler.
    await eventually(
      `${UNSERVED} requests in ${gpuQueue()}`,
      () => cluster.broker.messageCount(gpuQueue()),
      (count) => count === UNSERVED,
      15_000,
    );
    expect(cluster.broker.eventsOf('QUEUED', gpuExperiment())).toEqual([]);
  });

  it('mails the admin once when the type has waited longer than the configured time', async () => {
    const [mail] = await eventually(
      'the admin mail about gpu-sim',
      () => cluster.mails().filter((m) => m.subject.includes('gpu-sim')),
      (mails) => mails.length > 0,
      30_000,
    );
    expect(mail?.subject).toBe(`[wlm] no worker runs task type gpu-sim (namespace ${cluster.namespace})`);
    // Both instances saw the type wait and reported it; the one that mails sent the first report's
    // mail and let the other pass.
    for (const scheduler of cluster.schedulers) {
      await scheduler.waitFor(
        'its report of the type',
        (p) => p.logged('task type waited too long for a worker').length > 0,
        15_000,
      );
    }
    await eventually(
      'the second report to be handled',
      () => cluster.schedulers.flatMap((p) => p.logged('task type wait already mailed')),
      (lines) => lines.length > 0,
      15_000,
    );
    expect(cluster.mails().filter((m) => m.subject.includes('gpu-sim'))).toHaveLength(1);
  });

  it('still runs echo requests after the schedulers restart, the unserved ones still waiting', async () => {
    await Promise.all(cluster.schedulers.map((scheduler) => scheduler.stop()));
    cluster.schedulers.splice(0);
    await startSchedulers();
    await cluster.knownToSchedulers(cluster.workerId('echo'));
    const echo = `${cluster.namespace}.echo2`;
    await cluster.broker.request(...Array.from({ length: 5 }, (_, i) => request(echo, `e${i}`)));
    await cluster.broker.completed(echo, 5, 15_000);
    expect(await cluster.broker.messageCount(gpuQueue())).toBe(UNSERVED);
  });

  it('fails a task past its queueTimeoutMs with TASK_UNSCHEDULABLE, naming the type', async () => {
    const experimentId = `${cluster.namespace}.timeout`;
    await cluster.broker.request(
      request(experimentId, 'late', { taskType: 'gpu-sim', queueTimeoutMs: 1_500 }),
    );
    const failed = await cluster.broker.waitForEvent('FAILED', experimentId, 'late', 15_000);
    expect(failed).toMatchObject({ retryable: false, errorCode: 'TASK_UNSCHEDULABLE', attempt: 1 });
    expect(failed.reason).toContain('gpu-sim');
    expect(failed.reason).toContain('no live worker runs gpu-sim');
  });

  it('places the waiting tasks once a worker that runs the type joins', async () => {
    await cluster.startWorker({ name: 'gpu', tasks: GPU_SIM, slots: 8 });
    await cluster.broker.completed(gpuExperiment(), UNSERVED, 90_000);
    const gpuWorker = cluster.workerId('gpu');
    expect(
      new Set(cluster.broker.eventsOf('COMPLETED', gpuExperiment()).map((event) => event.workerId)),
    ).toEqual(new Set([gpuWorker]));
    // The timed-out task, still in the queue, is not run: it fails again instead (a duplicate).
    const timedOut = `${cluster.namespace}.timeout`;
    await eventually(
      'the timed-out request to leave the queue',
      () => cluster.broker.messageCount(gpuQueue()),
      (count) => count === 0,
      15_000,
    );
    expect(cluster.broker.starts(timedOut)).toEqual([]);
    expect(cluster.broker.eventsOf('QUEUED', timedOut)).toEqual([]);
  });
});

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskRequestInput } from '@wlm/commons/wire';
import { taskRequest as request } from '@wlm/test-support';
import { E2eCluster } from '../support/e2e-cluster';
import { ensureBuilt } from '../../../workers/test/support/ensure-built';

/*
 * Real `wlm scheduler` and `wlm worker` processes: tasks go only to workers that advertise their type,
 * and a plugin-version constraint sends a task only to the workers already upgraded.
 */

jest.setTimeout(90_000);

const UPGRADED_ECHO = join(__dirname, '..', 'fixtures', 'echo-next.js');

let cluster: E2eCluster;
let echoWorker: string;
let shellWorker: string;

beforeAll(async () => {
  ensureBuilt(['scripts']);
  cluster = await E2eCluster.start();
  await cluster.startScheduler();
  [echoWorker, shellWorker] = await Promise.all([
    cluster.startWorker({ name: 'w1', tasks: 'echo', slots: 2 }),
    cluster.startWorker({ name: 'w2', tasks: 'shell', slots: 2 }),
  ]);
});

afterAll(async () => {
  await cluster?.cleanUp();
});

describe('end to end: real scheduler and workers', () => {
  it('runs each task type only on the worker that advertises it', async () => {
    expect.hasAssertions();
    const experimentId = `${cluster.namespace}.routing`;
    const requests: TaskRequestInput[] = [];
    for (let i = 0; i < 8; i += 1) {
      // sleepMs keeps the echo worker's 2 slots busy, so a scheduler ignoring the task type would
      // find the shell worker's free slots tempting.
      requests.push(request(experimentId, `echo${i}`, { context: { i, sleepMs: 150 } }));
      requests.push(
        request(experimentId, `shell${i}`, {
          taskType: 'shell',
          context: { command: 'echo', args: [`s${i}`] },
        }),
      );
    }
    await cluster.broker.request(...requests);
    await cluster.broker.completed(experimentId, 16, 30_000);

    const expectedWorker = (taskId: string): string =>
      taskId.startsWith('shell') ? shellWorker : echoWorker;
    const running = cluster.broker.eventsOf('RUNNING', experimentId);
    const completed = cluster.broker.eventsOf('COMPLETED', experimentId);
    // A run shorter than the worker's RUNNING delay reports its start on its COMPLETED alone.
    expect(new Set(completed.map((e) => e.taskId)).size).toBe(16);
    for (const event of [...running, ...completed]) {
      expect({ taskId: event.taskId, workerId: event.workerId }).toEqual({
        taskId: event.taskId,
        workerId: expectedWorker(event.taskId),
      });
    }
    // Misplaced tasks would have come back FAILED with TASK_TYPE_NOT_SERVED.
    expect(cluster.broker.eventsOf('FAILED', experimentId)).toEqual([]);
    // The shell tasks really ran the command.
    const shell3 = completed.find((e) => e.taskId === 'shell3');
    expect(shell3?.outputs).toMatchObject({ exitCode: 0, stdout: 's3\n' });
  });

  it('sends a task that needs a newer plugin only to the upgraded worker', async () => {
    expect.hasAssertions();
    const upgraded = await cluster.startWorker({ name: 'w3', tasks: UPGRADED_ECHO, slots: 2 });
    expect(cluster.worker(upgraded).stdout).toContain('tasks echo@0.2.0');
    expect(cluster.worker(echoWorker).stdout).toContain('tasks echo@0.1.0');

    const experimentId = `${cluster.namespace}.upgrade`;
    const needsNew = { constraints: { minPluginVersion: '0.2.0' } };
    const requests = [
      // More than the upgraded worker's 2 slots, while the old one has 2 free: ignoring the
      // constraint would put some of them there.
      ...Array.from({ length: 6 }, (_, i) =>
        request(experimentId, `new${i}`, { ...needsNew, context: { sleepMs: 200 } }),
      ),
      ...Array.from({ length: 4 }, (_, i) => request(experimentId, `any${i}`, { context: { i } })),
      // No worker has this version yet: held by the scheduler, never run anywhere.
      request(`${experimentId}.future`, 'future', { constraints: { minPluginVersion: '0.3.0' } }),
    ];
    await cluster.broker.request(...requests);
    const completed = await cluster.broker.completed(experimentId, 10, 30_000);

    const newOnes = completed.filter((e) => e.taskId.startsWith('new'));
    expect(newOnes).toHaveLength(6);
    for (const event of newOnes) expect(event.workerId).toBe(upgraded);
    for (const event of cluster.broker
      .eventsOf('RUNNING', experimentId)
      .filter((e) => e.taskId.startsWith('new'))) {
      expect(event.workerId).toBe(upgraded);
    }
    // Unconstrained tasks may run on either echo worker, never on the shell one.
    for (const event of completed.filter((e) => e.taskId.startsWith('any'))) {
      expect([echoWorker, upgraded]).toContain(event.workerId);
    }
    // Proves an absence: a held request publishes nothing, so there is no event to wait on.
    await sleep(500);
    expect(cluster.broker.events.filter((e) => e.experimentId === `${experimentId}.future`)).toEqual([]);
  });
});

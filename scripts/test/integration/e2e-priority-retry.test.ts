import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import type { TaskRequestInput } from '@wlm/commons/wire';
import { taskRequest } from '@wlm/test-support';
import { runMockOrchestrator } from '../../src';
import { attemptKey } from '../support/e2e-broker';
import { E2eCluster } from '../support/e2e-cluster';
import { ensureBuilt } from '../../../workers/test/support/ensure-built';

/*
 * Real `wlm scheduler` and `wlm worker` processes: a backlog runs highest priority first, and a
 * failed attempt is retried on a different worker.
 */

jest.setTimeout(90_000);

let cluster: E2eCluster;
let first: string;

function echo(experimentId: string, taskId: string, priority: number, sleepMs = 0): TaskRequestInput {
  return taskRequest(experimentId, taskId, { priority, context: sleepMs > 0 ? { sleepMs } : {} });
}

beforeAll(async () => {
  ensureBuilt(['scripts']);
  cluster = await E2eCluster.start();
  await cluster.startScheduler();
  first = await cluster.startWorker({ name: 'w1', tasks: 'echo', slots: 1 });
});

afterAll(async () => {
  await cluster?.cleanUp();
});

describe('end to end: real scheduler and workers', () => {
  it('runs a backlog highest priority first', async () => {
    expect.hasAssertions();
    const experimentId = `${cluster.namespace}.priority`;
    // The worker's only slot is busy: everything published now waits, and is ordered while waiting.
    await cluster.broker.request(echo(experimentId, 'blocker', 0, 2_500));
    await cluster.broker.waitForEvent('RUNNING', experimentId, 'blocker', 15_000);
    await cluster.broker.request(
      echo(experimentId, 'p1', 1),
      echo(experimentId, 'p9', 9),
      echo(experimentId, 'p5', 5),
    );
    await cluster.broker.completed(experimentId, 4, 30_000);

    const running = cluster.broker.starts(experimentId).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    expect(running.map((event) => event.taskId)).toEqual(['blocker', 'p9', 'p5', 'p1']);
    for (const event of running) expect(event.workerId).toBe(first);
  });

  it('retries a failed attempt on the other worker and completes the DAGs', async () => {
    expect.hasAssertions();
    const second = await cluster.startWorker({ name: 'w2', tasks: 'echo', slots: 1 });
    const summary = await runMockOrchestrator({
      url: loadConfig().rabbitmq.url,
      logger: createLogger({ component: 'e2e-test', level: 'silent', pretty: false }),
      namespace: cluster.namespace,
      dags: 2,
      shape: 'chain',
      tasksPerDag: 3,
      seed: 1,
      sleepMs: 0,
      // Every task's first attempt fails as retryable; two attempts allowed.
      failTimes: 1,
      priority: 5,
      priorityMix: false,
      timeoutMs: 45_000,
    });
    expect(summary).toMatchObject({
      outcome: 'completed',
      completed: 6,
      failed: 0,
      retried: 6,
      dagsCompleted: 2,
    });

    const failures = cluster.broker.eventsOf('FAILED').filter((e) => e.experimentId.startsWith('mock.'));
    expect(failures).toHaveLength(6);
    const failedOn = new Map(
      failures.map((event) => [`${event.experimentId}/${event.taskId}`, event.workerId]),
    );
    const retries = cluster.broker
      .starts()
      .filter((event) => event.experimentId.startsWith('mock.') && event.attempt === 2);
    expect(retries).toHaveLength(6);
    for (const retry of retries) {
      const failedWorker = failedOn.get(`${retry.experimentId}/${retry.taskId}`);
      expect([first, second]).toContain(failedWorker);
      expect({ task: attemptKey(retry), workerId: retry.workerId }).toEqual({
        task: attemptKey(retry),
        workerId: failedWorker === first ? second : first,
      });
    }
  });
});

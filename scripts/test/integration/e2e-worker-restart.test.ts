import { E2eCluster } from '../support/e2e-cluster';
import { ensureBuilt } from '../../../workers/test/support/ensure-built';
import { eventually } from '@wlm/test-support';

/*
 * A worker SIGKILLed and started again under the same --name, as a supervisor (systemd, Kubernetes)
 * would: 0.5 s, 9 s and 45 s after the kill. Each time the restarted process must be serving — a
 * task placed on it and completed — within 5 s of its start, and the admin gets one mail that it
 * failed and one that it recovered. Three workers are killed together and restarted after their own
 * delay, so the three cases take one 45 s wait.
 */

jest.setTimeout(150_000);

const SERVING_WITHIN_MS = 5_000;
const DELAYS_MS = { r0: 500, r9: 9_000, r45: 45_000 } as const;
type Name = keyof typeof DELAYS_MS;
const NAMES = Object.keys(DELAYS_MS) as Name[];

let cluster: E2eCluster;

function spec(name: Name): { name: string; tasks: string; slots: number; labels: string } {
  return { name, tasks: 'echo', slots: 1, labels: `restart=${name}` };
}

beforeAll(async () => {
  ensureBuilt(['scripts']);
  cluster = await E2eCluster.start();
  await cluster.startScheduler();
  await Promise.all(NAMES.map((name) => cluster.startWorker(spec(name))));
});

afterAll(async () => {
  await cluster?.cleanUp();
});

/**
 * Places one echo task on the worker labelled `name`; resolves when it runs there (when the worker
 * serves), with a promise of its completion there.
 */
async function runOn(name: Name, round: string): Promise<{ completed: Promise<void> }> {
  const experimentId = `${cluster.namespace}.${name}.${round}`;
  await cluster.broker.request({
    v: 1,
    experimentId,
    run: 1,
    taskId: 'probe',
    attempt: 1,
    taskType: 'echo',
    context: {},
    constraints: { labels: { restart: name } },
    priority: 5,
    requestedAt: new Date().toISOString(),
  });
  const running = await cluster.broker.waitForEvent('RUNNING', experimentId, 'probe', 15_000);
  expect(running.workerId).toBe(cluster.workerId(name));
  const completed = cluster.broker.waitForEvent('COMPLETED', experimentId, 'probe', 15_000).then((done) => {
    expect(done.workerId).toBe(cluster.workerId(name));
  });
  return { completed };
}

/**
 * Waits `delayMs` (the worker was killed), starts it again; resolves with the ms from that start to
 * serving: a task placed on it running there.
 */
async function restartAfter(name: Name, delayMs: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  const startedAt = Date.now();
  await cluster.startWorker(spec(name));
  const { completed } = await runOn(name, 'after');
  const servingMs = Date.now() - startedAt;
  await completed;
  return servingMs;
}

describe('a worker restarted under the same name after a SIGKILL', () => {
  it('serves again within 5 s of its start, 0.5 s, 9 s or 45 s after the kill', async () => {
    expect.hasAssertions();
    const before = await Promise.all(NAMES.map((name) => runOn(name, 'before')));
    await Promise.all(before.map((probe) => probe.completed));
    for (const name of NAMES) cluster.worker(cluster.workerId(name)).kill('SIGKILL');
    const servingMs = await Promise.all(NAMES.map((name) => restartAfter(name, DELAYS_MS[name])));
    process.stderr.write(
      `worker restart: serving ${NAMES.map((name, i) => `${DELAYS_MS[name]} ms after the kill: ${servingMs[i]} ms after its start`).join('; ')}\n`,
    );
    for (const ms of servingMs) expect(ms).toBeLessThanOrEqual(SERVING_WITHIN_MS);

    const [scheduler] = cluster.schedulers;
    for (const name of NAMES) {
      const workerId = cluster.workerId(name);
      expect(scheduler?.logged('worker failed').filter((r) => r.workerId === workerId)).toHaveLength(1);
      expect(scheduler?.logged('worker recovered').filter((r) => r.workerId === workerId)).toHaveLength(1);
    }
    const expected = NAMES.flatMap((name) => [
      `[wlm] worker ${cluster.workerId(name)} failed`,
      `[wlm] worker ${cluster.workerId(name)} recovered`,
    ]).sort();
    await eventually(
      'a failure and a recovery mail per worker',
      () => cluster.mails().map((mail) => mail.subject),
      (subjects) => subjects.length >= expected.length,
      15_000,
    );
    expect(
      cluster
        .mails()
        .map((mail) => mail.subject)
        .sort(),
    ).toEqual(expected);
  });
});

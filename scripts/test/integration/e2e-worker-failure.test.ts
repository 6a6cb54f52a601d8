import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@wlm/commons/config';
import { E2eCluster } from '../support/e2e-cluster';
import { ensureBuilt } from '../../../workers/test/support/ensure-built';
import { eventually } from '@wlm/test-support';

/*
 * A real `wlm worker` is SIGKILLed while it runs a task: the task must finish on the other worker, and
 * the admin must get exactly one mail about the dead one, through the stack's SMTP sink.
 */

jest.setTimeout(90_000);

/** Long enough to be running when the kill comes, short enough to run again quickly. */
const TASK_MS = 4_000;

let cluster: E2eCluster;
let workers: string[];

beforeAll(async () => {
  ensureBuilt(['scripts']);
  cluster = await E2eCluster.start();
  await cluster.startScheduler();
  workers = await Promise.all([
    cluster.startWorker({ name: 'wa', tasks: 'echo', slots: 2 }),
    cluster.startWorker({ name: 'wb', tasks: 'echo', slots: 2 }),
  ]);
});

afterAll(async () => {
  await cluster?.cleanUp();
});

describe('end to end: a worker killed mid-task', () => {
  it('finishes the task on the other worker and mails the admin exactly once', async () => {
    expect.hasAssertions();
    const experimentId = `${cluster.namespace}.kill`;
    await cluster.broker.request({
      v: 1,
      experimentId,
      run: 1,
      taskId: 'long',
      attempt: 1,
      taskType: 'echo',
      context: { sleepMs: TASK_MS },
      priority: 5,
      requestedAt: new Date().toISOString(),
    });
    // Whichever worker the scheduler chose is the one to kill.
    const { workerId: victim } = await cluster.broker.waitForEvent('RUNNING', experimentId, 'long', 15_000);
    const survivor = workers.find((id) => id !== victim) ?? '';
    const killedAt = Date.now();
    cluster.worker(victim).kill('SIGKILL');

    const done = await cluster.broker.waitForEvent('COMPLETED', experimentId, 'long', 40_000);
    expect(done).toMatchObject({ workerId: survivor, attempt: 2 });
    const rerun = cluster.broker.eventsOf('RUNNING', experimentId).find((e) => e.attempt === 2);
    expect(rerun?.workerId).toBe(survivor);
    expect(cluster.broker.eventsOf('FAILED', experimentId)).toEqual([
      expect.objectContaining({ attempt: 1, workerId: victim, errorCode: 'WORKER_LOST', retryable: true }),
    ]);
    process.stderr.write(
      `e2e worker failure: attempt 2 running on ${survivor} ${Date.parse(rerun?.at ?? '') - killedAt} ms after SIGKILL\n`,
    );

    const subject = `[wlm] worker ${victim} failed`;
    await eventually(
      `a mail "${subject}"`,
      () => cluster.mails().map((mail) => mail.subject),
      (subjects) => subjects.includes(subject),
      20_000,
    );
    // The broker's view (the queue lost its consumer) usually reports first; Serf's failure detection
    // reports later, maybe after the mail went out. That second report must not make a second mail.
    const [scheduler] = cluster.schedulers;
    await scheduler?.waitFor(
      `Serf reporting ${victim} failed`,
      (p) => p.logged('worker failed').some((record) => record.workerId === victim),
      20_000,
    );
    // Proves an absence (no hook says "no mail is coming"): time for a second mail to go out.
    await sleep(2_000);
    const mails = cluster.mails();
    expect(mails.map((mail) => mail.subject)).toEqual([subject]);
    expect(mails[0]?.to).toEqual([loadConfig().smtp.adminEmail]);
    expect(mails[0]?.text).toContain(victim);
    expect(mails[0]?.text).toContain('task long (echo), attempt 1');
  });
});

import { loadConfig } from '@wlm/commons/config';
import type { WlmTopology } from '@wlm/commons/amqp';
import type { TaskEventOf } from '@wlm/commons/wire';
import type { SchedulerService } from '@wlm/scheduler';
import { deleteMails, listMails, stackPaths } from '@wlm/scripts';
import type { StoredMail } from '@wlm/scripts';
import { withAgentMembers } from '../support/agent-members';
import { FakeWorker } from '../support/fake-worker';
import { BrokerProbe, isolatedTopology, startScheduler, taskRequest } from '../support/harness';
import { SerfAgents, eventually, waitFor } from '@wlm/test-support';
import type { SerfAgent } from '@wlm/test-support';

/*
 * A worker dies for real: its Serf agent is SIGKILLed (no graceful leave, so the cluster has to
 * detect the failure) and its AMQP connection closes, returning the assignment it was running to its
 * queue. The schedulers — two instances, each with its own Serf agent — must move everything on that
 * queue to another worker and mail the admin exactly once between them, through the real SMTP sink
 * of `wlm stack`, then mail again when the worker is back.
 */

jest.setTimeout(120_000);

const agents = new SerfAgents();
const mailDir = stackPaths(loadConfig()).mailDir;
let topology: WlmTopology;
let probe: BrokerProbe;
let schedulerAgent: SerfAgent;
let siblingAgent: SerfAgent;
let scheduler: SchedulerService;
let sibling: SchedulerService;
let victim: FakeWorker;
let survivor: FakeWorker | undefined;
/** Workers of later tests whose queues the cleanup deletes too. */
const extraWorkers: string[] = [];

const mailsAbout = (workerId: string): StoredMail[] =>
  listMails(mailDir).filter((mail) => mail.subject.includes(`worker ${workerId} `));

beforeAll(async () => {
  topology = isolatedTopology();
  schedulerAgent = await agents.start({ name: `${topology.namespace}-sched` });
  siblingAgent = await agents.start({
    name: `${topology.namespace}-sched2`,
    join: [schedulerAgent.bindAddr],
  });
  // Serf alone tells these two of failures: the broker's view has a test of its own below.
  const serfOnly = { consumerCheckMs: 0 };
  scheduler = await startScheduler(topology, schedulerAgent.rpcAddr, { instanceId: 'sched-a', ...serfOnly });
  sibling = await startScheduler(topology, siblingAgent.rpcAddr, { instanceId: 'sched-b', ...serfOnly });
  probe = await BrokerProbe.open(topology);
});

afterAll(async () => {
  deleteMails(
    mailDir,
    [victim, survivor].flatMap((w) => (w === undefined ? [] : mailsAbout(w.id).map((mail) => mail.id))),
  );
  await Promise.all([victim?.stop(), survivor?.stop()]);
  await Promise.all([scheduler?.close(), sibling?.close()]);
  await agents.stopAll();
  await probe?.cleanUp([
    ...extraWorkers,
    ...[victim, survivor].flatMap((w) => (w === undefined ? [] : [w.id])),
  ]);
});

describe('worker failure', () => {
  it('moves a killed worker’s queued and running work to another worker and mails the admin once', async () => {
    // Both instances must know a worker before the test relies on it: an instance that has not seen
    // the survivor join yet, nor the victim fail, would place a moved attempt on the only capable
    // worker it knows — the excluded victim — and that attempt would be moved once more.
    const knownBy = new Map([scheduler, sibling].map((instance) => [instance, new Set<string>()]));
    for (const [instance, seen] of knownBy)
      instance.on('worker:joined', (worker) => seen.add(worker.workerId));
    const knownToBoth = (workerId: string): boolean =>
      [...knownBy.values()].every((seen) => seen.has(workerId));
    // The first to notice: Serf (member failed) or the broker (the queue lost its consumer).
    let failedAt: number | undefined;
    let serfFailedAt: number | undefined;
    for (const instance of [scheduler, sibling]) {
      instance.on('worker:failed', () => {
        serfFailedAt ??= Date.now();
        failedAt ??= serfFailedAt;
      });
      instance.on('worker:unreachable', () => (failedAt ??= Date.now()));
    }
    const common = { topology, agents, join: schedulerAgent.bindAddr, taskTypes: { job: '1.0.0' } } as const;
    // Advertises 3 slots but takes one task at a time: two assignments wait in its queue.
    victim = await FakeWorker.start({
      ...common,
      id: `${topology.namespace}-victim`,
      slots: 3,
      prefetch: 1,
      behaviour: () => ({ kind: 'hold' }),
    });
    await waitFor('the victim known to both instances', () => knownToBoth(victim.id)).catch(
      withAgentMembers([schedulerAgent, siblingAgent]),
    );
    const requests = await probe.request(
      taskRequest('job', { taskId: 'j1' }),
      taskRequest('job', { taskId: 'j2' }),
      taskRequest('job', { taskId: 'j3' }),
    );
    await waitFor('3 assignments on the victim', () => probe.eventsOf('QUEUED').length === 3);
    await waitFor('one running', () => victim.received.length === 1);

    survivor = await FakeWorker.start({ ...common, id: `${topology.namespace}-survivor`, slots: 4 });
    await waitFor('the survivor known to both instances', () => knownToBoth(survivor?.id ?? '')).catch(
      withAgentMembers([schedulerAgent, siblingAgent]),
    );

    const killedAt = Date.now();
    await victim.kill();
    // Read as every placement (attempt → worker), so a timeout says where each attempt went.
    await eventually(
      'every task running again on the survivor',
      () => ({
        survivorRan: survivor?.received.map((a) => `${a.taskId}@${a.attempt}`).sort() ?? [],
        placed: probe.eventsOf('QUEUED').map((e) => `${e.taskId}@${e.attempt}→${e.workerId ?? '?'}`),
      }),
      ({ survivorRan }) => survivorRan.filter((attempt) => attempt.endsWith('@2')).length === 3,
      30_000,
    );
    const rerunAt = Math.max(
      ...probe
        .eventsOf('RUNNING', (e) => e.workerId === survivor?.id && e.attempt === 2)
        .map((e) => Date.parse(e.at)),
    );
    await waitFor('Serf to declare the victim failed', () => serfFailedAt !== undefined, 15_000);
    const detectionMs = (failedAt ?? NaN) - killedAt;
    const moveMs = rerunAt - (failedAt ?? NaN);
    process.stderr.write(
      `worker failure: first noticed ${detectionMs} ms after SIGKILL (Serf: ${(serfFailedAt ?? NaN) - killedAt} ms); ` +
        `work running elsewhere ${moveMs} ms after that (${rerunAt - killedAt} ms after SIGKILL)\n`,
    );
    expect(moveMs).toBeLessThan(1_000);
    expect(rerunAt).toBeLessThan((serfFailedAt ?? NaN) + 1_000);

    const moved = survivor.received.filter((a) => a.attempt === 2);
    expect(moved.map((a) => a.taskId).sort()).toEqual(requests.map((r) => r.taskId).sort());
    for (const assignment of moved) expect(assignment.excludeWorkers).toEqual([victim.id]);
    const lost = probe.eventsOf('FAILED') as TaskEventOf<'FAILED'>[];
    expect(lost.map((e) => e.taskId).sort()).toEqual(['j1', 'j2', 'j3']);
    for (const event of lost) {
      expect(event).toMatchObject({
        attempt: 1,
        retryable: true,
        errorCode: 'WORKER_LOST',
        workerId: victim.id,
      });
      expect(event.request).toBeUndefined();
    }

    await waitFor('the failure mail', () => mailsAbout(victim.id).length === 1, 15_000);
    // Reports that come in late (later drains) must not produce a second mail.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const [mail, ...more] = mailsAbout(victim.id);
    expect(more).toHaveLength(0);
    expect(mail?.subject).toBe(`[wlm] worker ${victim.id} failed`);
    expect(mail?.to).toEqual([loadConfig().smtp.adminEmail]);
    expect(mail?.text).toContain(`Address:     ${victim.gossipAddr}`);
    expect(mail?.text).toMatch(/Detected by: (Serf membership|RabbitMQ)/);
    for (const taskId of ['j1', 'j2', 'j3']) expect(mail?.text).toContain(`task ${taskId} (job), attempt 1`);
  });

  it('mails once more when the worker is back', async () => {
    await victim.reviveAgent();
    await waitFor(
      'the recovery mail',
      () => mailsAbout(victim.id).some((mail) => mail.subject.endsWith('recovered')),
      20_000,
    );
    // Proves an absence: a second recovery report (Serf and the broker both notice) must not mail again.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const subjects = mailsAbout(victim.id).map((mail) => mail.subject);
    expect(subjects.sort()).toEqual([
      `[wlm] worker ${victim.id} failed`,
      `[wlm] worker ${victim.id} recovered`,
    ]);
  });
});

describe('a worker that announced its departure', () => {
  it('is a departure when it vanishes without a leave: no failure, no mail', async () => {
    const departer = await FakeWorker.start({
      topology,
      agents,
      join: schedulerAgent.bindAddr,
      id: `${topology.namespace}-departer`,
      slots: 2,
      taskTypes: { job: '1.0.0' },
    });
    extraWorkers.push(departer.id);
    const seen = { joined: new Set<string>(), left: new Set<string>(), failed: new Set<string>() };
    for (const [name, instance] of [
      ['a', scheduler],
      ['b', sibling],
    ] as const) {
      instance.on('worker:joined', (worker) => worker.workerId === departer.id && seen.joined.add(name));
      instance.on('worker:left', (worker) => worker.workerId === departer.id && seen.left.add(name));
      instance.on('worker:failed', (worker) => worker.workerId === departer.id && seen.failed.add(name));
    }
    await waitFor('the departer known to both instances', () => seen.joined.size === 2).catch(
      withAgentMembers([schedulerAgent, siblingAgent]),
    );
    await departer.announceDeparture();
    // No leave: both agents find the member gone and mark it failed, as when the intent is lost.
    await departer.kill();
    await waitFor('both instances to see the departer leave', () => seen.left.size === 2, 30_000).catch(
      withAgentMembers([schedulerAgent, siblingAgent]),
    );
    expect([...seen.failed]).toEqual([]);
    // A failure would have been mailed at once; give a mail time to arrive before saying none did.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(mailsAbout(departer.id)).toEqual([]);
  });
});

describe('a worker whose queue loses its consumer', () => {
  let zombie: FakeWorker | undefined;
  let rescuer: FakeWorker | undefined;
  let watcher: SchedulerService;

  beforeAll(async () => {
    // One instance that also watches the worker queues' consumers replaces the Serf-only pair.
    await Promise.all([scheduler.close(), sibling.close()]);
    watcher = await startScheduler(topology, schedulerAgent.rpcAddr, {
      instanceId: 'sched-w',
      consumerCheckMs: 1_000,
    });
  });

  afterAll(async () => {
    deleteMails(
      mailDir,
      [zombie, rescuer].flatMap((w) => (w === undefined ? [] : mailsAbout(w.id).map((mail) => mail.id))),
    );
    await Promise.all([zombie?.stop(), rescuer?.stop()]);
    await watcher?.close();
    extraWorkers.push(...[zombie, rescuer].flatMap((w) => (w === undefined ? [] : [w.id])));
  });

  it('gets no new work and its undelivered work is moved before Serf notices; what it may run stays', async () => {
    const known = new Set<string>();
    watcher.on('worker:joined', (worker) => known.add(worker.workerId));
    let unreachableAt: number | undefined;
    watcher.on('worker:unreachable', (worker) => {
      if (worker.workerId === zombie?.id) unreachableAt ??= Date.now();
    });
    const common = { topology, agents, join: schedulerAgent.bindAddr, taskTypes: { zjob: '1.0.0' } } as const;
    zombie = await FakeWorker.start({
      ...common,
      id: `${topology.namespace}-zombie`,
      slots: 2,
      prefetch: 1,
      behaviour: () => ({ kind: 'hold' }),
    });
    await waitFor('the zombie known', () => known.has(zombie?.id ?? ''));
    await probe.request(taskRequest('zjob', { taskId: 'z1' }), taskRequest('zjob', { taskId: 'z2' }));
    await waitFor(
      'both on the zombie',
      () => probe.eventsOf('QUEUED', (e) => e.taskId.startsWith('z')).length === 2,
    );
    rescuer = await FakeWorker.start({ ...common, id: `${topology.namespace}-rescuer`, slots: 2 });
    await waitFor('the rescuer known', () => known.has(rescuer?.id ?? ''));

    // Its prefetch is 1: one of the two was delivered to it, the other never was — whichever of the
    // two assignments reached its queue first. Only the undelivered one is known not to run.
    await waitFor('one running on the zombie', () => zombie?.received.length === 1);
    const running = zombie.received[0]?.taskId;
    const undelivered = running === 'z1' ? 'z2' : 'z1';
    const droppedAt = Date.now();
    await zombie.dropConnection();
    await waitFor('the undelivered one running on the rescuer', () => rescuer?.received.length === 1, 20_000);
    process.stderr.write(
      `consumer loss: noticed ${(unreachableAt ?? NaN) - droppedAt} ms after the connection closed; ` +
        `work moved ${Date.now() - droppedAt} ms after\n`,
    );
    expect(rescuer.received.map((a) => `${a.taskId}@${a.attempt}`)).toEqual([`${undelivered}@2`]);
    // Serf never saw it fail, and it gets nothing new while nobody consumes its queue.
    expect(watcher.status().workers).toBeGreaterThanOrEqual(2);
    await probe.request(taskRequest('zjob', { taskId: 'z3' }));
    await waitFor('z3 on the rescuer', () => rescuer?.received.some((a) => a.taskId === 'z3') === true);
    await waitFor('one mail', () => mailsAbout(zombie?.id ?? '').length === 1, 10_000);
    // The zombie may still be running the other and come back: no second attempt of it while Serf
    // has it alive.
    expect(rescuer.received.some((a) => a.taskId === running)).toBe(false);
    expect(mailsAbout(zombie.id)[0]?.text).toContain('RabbitMQ (its queue lost its consumer)');
  });
});

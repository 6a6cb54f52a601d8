import type { SchedulerService } from '@wlm/scheduler';
import { eventually, waitFor } from '@wlm/test-support';
import type { SerfAgent } from '@wlm/test-support';
import { withAgentMembers } from '../support/agent-members';
import { FakeWorker } from '../support/fake-worker';
import type { BrokerProbe } from '../support/harness';
import { keyOf, taskRequest } from '../support/harness';
import { SchedulerTestBed } from '../support/test-bed';

/*
 * Two scheduler instances on one namespace, each with its own Serf agent in one cluster, compete for
 * the same request queue: every request must be placed exactly once.
 */

jest.setTimeout(120_000);

const bed = new SchedulerTestBed();
const { agents, schedulers, topology, workers } = bed;
let probe: BrokerProbe;

let schedulerAgents: SerfAgent[] = [];

beforeAll(async () => {
  const first = await agents.start({ name: `${topology.namespace}-s1` });
  const second = await agents.start({ name: `${topology.namespace}-s2`, join: [first.bindAddr] });
  schedulerAgents = [first, second];
  await bed.startScheduler(first, { instanceId: 'sched-1' });
  await bed.startScheduler(second, { instanceId: 'sched-2' });
  probe = await bed.openProbe();
  for (const [i, join] of [first.bindAddr, second.bindAddr, first.bindAddr].entries()) {
    await bed.startWorker({
      id: `${topology.namespace}-w${i}`,
      join,
      slots: 4,
      taskTypes: { echo: '1.0.0' },
      behaviour: () => ({ kind: 'complete', delayMs: 5 }),
    });
  }
  await waitFor('both schedulers to see the 3 workers', () =>
    schedulers.every((s) => s.status().workers === 3),
  ).catch(withAgentMembers(schedulerAgents));
});

afterAll(() => bed.stop());

describe('two scheduler instances', () => {
  it('place each of 200 requests exactly once', async () => {
    const placedBy = new Map<string, number>();
    for (const scheduler of schedulers) {
      scheduler.on('task:placed', () =>
        placedBy.set(scheduler.instanceId, (placedBy.get(scheduler.instanceId) ?? 0) + 1),
      );
    }
    const requests = await probe.request(
      ...Array.from({ length: 200 }, (_, i) =>
        taskRequest('echo', { experimentId: 'exp-many', taskId: `m${i}`, priority: i % 10 }),
      ),
    );
    await waitFor('200 completions', () => probe.eventsOf('COMPLETED').length === 200, 90_000);
    // Let anything placed twice surface before counting.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const assignments = workers.flatMap((w) => w.received);
    expect(assignments).toHaveLength(200);
    expect(new Set(assignments.map(keyOf))).toEqual(new Set(requests.map(keyOf)));
    expect(probe.eventsOf('QUEUED')).toHaveLength(200);
    expect(new Set(probe.eventsOf('QUEUED').map(keyOf)).size).toBe(200);
    expect([...placedBy.values()].reduce((a, b) => a + b, 0)).toBe(200);
    for (const scheduler of schedulers) {
      expect(scheduler.status().requests).toMatchObject({ held: 0, deferred: 0, sending: 0 });
    }
    process.stderr.write(`placements by instance: ${JSON.stringify(Object.fromEntries(placedBy))}\n`);
  });

  it('never place an attempt again when its request comes back, whichever instance takes it', async () => {
    const received = (): number => workers.reduce((sum, worker) => sum + worker.received.length, 0);
    const before = received();
    let duplicates = 0;
    for (const scheduler of schedulers) scheduler.on('task:duplicate', () => (duplicates += 1));
    const requests = Array.from({ length: 50 }, (_, i) =>
      taskRequest('echo', { experimentId: 'exp-again', taskId: `r${i}` }),
    );
    await probe.request(...requests);
    const completed = (): number =>
      probe.eventsOf('COMPLETED').filter((event) => event.experimentId === 'exp-again').length;
    await waitFor('50 completions', () => completed() === 50, 60_000);
    // What an orchestrator that crashed after its publishes does when it recovers: the same attempts
    // again, twice here. The instance that did not place an attempt knows it only from the fence.
    await probe.request(...requests, ...requests);
    await waitFor('100 copies acknowledged as duplicates', () => duplicates === 100, 60_000);

    expect(received() - before).toBe(50);
    expect(completed()).toBe(50);
  });

  it('hands held requests back to the queue on drain, for the other instance to place', async () => {
    const [draining, remaining] = schedulers as [SchedulerService, SchedulerService];
    // A worker runs the type, so both instances take its requests; none meets this one's labels yet.
    const elsewhere = await FakeWorker.start({
      id: `${topology.namespace}-site-a`,
      topology,
      agents,
      join: workers[0]?.gossipAddr ?? '',
      slots: 1,
      taskTypes: { 'later-type': '1.0.0' },
      labels: { site: 'a' },
    });
    workers.push(elsewhere);
    // Read as what each instance knows and consumes, so a timeout says which one is behind, and what
    // their agents list.
    await eventually(
      'both schedulers to take later-type requests',
      () =>
        schedulers.map((s) => ({ workers: s.status().workers, consumes: s.status().requests.consumedTypes })),
      (views) => views.every((view) => view.consumes.includes('later-type')),
    ).catch(withAgentMembers(schedulerAgents));
    await probe.request(
      taskRequest('later-type', { taskId: 'handover', constraints: { labels: { site: 'b' } } }),
    );
    await waitFor('the request held by one instance', () =>
      schedulers.some((s) => s.status().requests.held === 1),
    );
    const holder = draining.status().requests.held === 1 ? draining : remaining;
    const other = holder === draining ? remaining : draining;
    await holder.close();
    expect(holder.state).toBe('stopped');
    await waitFor('the other instance to hold it', () => other.status().requests.held === 1);
    const late = await FakeWorker.start({
      id: `${topology.namespace}-late`,
      topology,
      agents,
      join: workers[0]?.gossipAddr ?? '',
      slots: 1,
      taskTypes: { 'later-type': '1.0.0' },
      labels: { site: 'b' },
    });
    workers.push(late);
    await waitFor('the handed-over request to run', () => late.received.length === 1, 20_000);
    expect(late.received[0]?.taskId).toBe('handover');
    expect(elsewhere.received).toHaveLength(0);
  });
});

import { DEAD_LETTER_HEADERS } from '@wlm/commons/amqp';
import { controlRoutingKey, encodeMessage, controlMessageSchema } from '@wlm/commons/wire';
import type { SchedulerService } from '@wlm/scheduler';
import { forceCloseConnections, waitFor } from '@wlm/test-support';
import type { SerfAgent } from '@wlm/test-support';
import type { FakeWorker, FakeWorkerOptions } from '../support/fake-worker';
import type { BrokerProbe } from '../support/harness';
import { keyOf, taskRequest } from '../support/harness';
import { SchedulerTestBed } from '../support/test-bed';

/*
 * The scheduler against real RabbitMQ and real Serf agents spawned here; the workers are the test
 * harness's fake workers (real Serf tags, real queues, fake task execution). Tests run in order and
 * share one scheduler; each starts the workers it needs under names of its own.
 */

jest.setTimeout(90_000);

const bed = new SchedulerTestBed();
const { topology, workers } = bed;
let probe: BrokerProbe;
let schedulerAgent: SerfAgent;
let scheduler: SchedulerService;

function worker(options: Omit<FakeWorkerOptions, 'topology' | 'agents' | 'join'>): Promise<FakeWorker> {
  return bed.startWorker({ ...options, join: schedulerAgent.bindAddr });
}

/** Worker ids the scheduler has seen join. */
const knownIds = new Set<string>();

async function untilKnown(...expected: FakeWorker[]): Promise<void> {
  await waitFor(`the scheduler to see ${expected.map((w) => w.id).join(', ')}`, () =>
    expected.every((w) => knownIds.has(w.id)),
  );
}

beforeAll(async () => {
  schedulerAgent = await bed.agents.start({ name: `${topology.namespace}-sched` });
  scheduler = await bed.startScheduler(schedulerAgent);
  scheduler.on('worker:joined', (w) => knownIds.add(w.workerId));
  // After the scheduler: it declares the queues the probe reads.
  probe = await bed.openProbe();
});

afterAll(() => bed.stop());

const ns = (): string => topology.namespace;

/** Constraints no worker but the ones started with them meet, so a request waits for capacity. */
const ELSEWHERE = { labels: { site: 'elsewhere' } };

/**
 * A worker that runs `taskType` but not where {@link ELSEWHERE} requests must run: the scheduler
 * takes the type's requests (a live worker runs it) and holds those with these constraints.
 */
async function servedElsewhere(taskType: string): Promise<FakeWorker> {
  const started = await worker({
    id: `${ns()}-${taskType}-here`,
    slots: 1,
    taskTypes: { [taskType]: '1.0.0' },
  });
  await waitFor(`the scheduler to take ${taskType} requests`, () =>
    scheduler.status().requests.consumedTypes.includes(taskType),
  );
  return started;
}

describe('placement', () => {
  it('routes tasks only to workers advertising the type, honouring labels and plugin versions', async () => {
    const old = await worker({
      id: `${ns()}-old`,
      slots: 4,
      taskTypes: { echo: '1.0.0' },
      labels: { site: 'x' },
    });
    const upgraded = await worker({
      id: `${ns()}-new`,
      slots: 4,
      taskTypes: { echo: '2.1.0' },
      labels: { site: 'y' },
    });
    const shell = await worker({ id: `${ns()}-shell`, slots: 4, taskTypes: { shell: '1.0.0' } });
    await untilKnown(old, upgraded, shell);

    const [shellTask, siteY, v2, anyEcho1, anyEcho2] = await probe.request(
      taskRequest('shell'),
      taskRequest('echo', { constraints: { labels: { site: 'y' } } }),
      taskRequest('echo', { constraints: { minPluginVersion: '2.0.0' } }),
      taskRequest('echo'),
      taskRequest('echo'),
    );
    await waitFor('5 placements', () => probe.eventsOf('COMPLETED').length === 5);

    const ran = (w: FakeWorker): string[] => w.received.map((a) => a.taskId);
    expect(ran(shell)).toEqual([shellTask?.taskId]);
    expect(ran(upgraded)).toEqual(expect.arrayContaining([siteY?.taskId, v2?.taskId]));
    expect(ran(old)).not.toContain(siteY?.taskId);
    expect(ran(old)).not.toContain(v2?.taskId);
    expect([...ran(old), ...ran(upgraded)].sort()).toEqual(
      [siteY, v2, anyEcho1, anyEcho2].map((r) => r?.taskId).sort(),
    );
    // Every placement was announced as QUEUED on the worker that got it.
    for (const w of [old, upgraded, shell]) {
      for (const assignment of w.received) {
        expect(probe.eventsOf('QUEUED', (e) => keyOf(e) === keyOf(assignment))).toEqual([
          expect.objectContaining({ workerId: w.id, assignmentId: assignment.assignmentId }),
        ]);
      }
    }
  });

  it('leaves a request no worker can run in its type queue, says so, and places it once a capable worker appears', async () => {
    const [request] = await probe.request(taskRequest('rare-type'));
    await waitFor('the WAITING event', () => probe.eventsOf('WAITING').length === 1);
    expect(probe.eventsOf('WAITING')[0]).toMatchObject({
      taskId: request?.taskId,
      taskType: 'rare-type',
      message: 'waiting for a worker that runs rare-type',
    });
    // In the broker, not in the scheduler's memory.
    await waitFor('the request in its type queue', async () => {
      return (await probe.messageCount(topology.requestQueue('rare-type'))) === 1;
    });
    expect(scheduler.status().requests.held).toBe(0);
    expect(scheduler.status().waitingTypes).toHaveProperty('rare-type');
    expect(probe.eventsOf('QUEUED', (e) => e.taskId === request?.taskId)).toHaveLength(0);

    const rare = await worker({ id: `${ns()}-rare`, slots: 1, taskTypes: { 'rare-type': '1.0.0' } });
    await waitFor('the waiting request to run', () => rare.received.length === 1, 15_000);
    expect(rare.received[0]?.taskId).toBe(request?.taskId);
    expect(scheduler.status().requests.held).toBe(0);
    expect(scheduler.status().waitingTypes).not.toHaveProperty('rare-type');
  });

  it('holds a request no capable worker has room for, reporting how long it waits', async () => {
    await servedElsewhere('picky');
    const [request] = await probe.request(taskRequest('picky', { constraints: { labels: { site: 'z' } } }));
    await waitFor('the request to be held', () => scheduler.status().requests.held === 1);
    // The wait is what is measured (oldestWaitMs), and it proves nothing is published meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(probe.eventsOf('QUEUED', (e) => e.taskId === request?.taskId)).toHaveLength(0);
    expect(probe.eventsOf('WAITING', (e) => e.taskId === request?.taskId)).toHaveLength(0);
    expect(scheduler.status().requests.oldestWaitMs).toBeGreaterThanOrEqual(1_000);

    const z = await worker({
      id: `${ns()}-z`,
      slots: 1,
      taskTypes: { picky: '1.0.0' },
      labels: { site: 'z' },
    });
    await waitFor('the held request to run', () => z.received.length === 1, 15_000);
    expect(z.received[0]?.taskId).toBe(request?.taskId);
    expect(scheduler.status().requests.held).toBe(0);
  });

  it('places the highest priority first (then the oldest) when slots free up', async () => {
    const slow = await worker({
      id: `${ns()}-slow`,
      slots: 1,
      taskTypes: { slow: '1.0.0' },
      behaviour: (a) => (a.taskId === 'first' ? { kind: 'hold' } : { kind: 'complete' }),
    });
    await untilKnown(slow);
    await probe.request(taskRequest('slow', { taskId: 'first' }));
    await waitFor('the first task to run', () => slow.received.length === 1);
    const backlog = await probe.request(
      taskRequest('slow', { taskId: 'p1', priority: 1 }),
      taskRequest('slow', { taskId: 'p5a', priority: 5 }),
      taskRequest('slow', { taskId: 'p3', priority: 3 }),
      taskRequest('slow', { taskId: 'p9', priority: 9 }),
      taskRequest('slow', { taskId: 'p5b', priority: 5 }),
    );
    await waitFor('the backlog to be held', () => scheduler.status().requests.held === backlog.length);
    slow.release();
    await waitFor('the backlog to run', () => slow.received.length === 1 + backlog.length, 30_000);
    expect(slow.received.map((a) => a.taskId)).toEqual(['first', 'p9', 'p5a', 'p5b', 'p3', 'p1']);
    // The assignments carried the request's priority as their AMQP priority too.
    expect(slow.received.map((a) => a.priority)).toEqual([0, 9, 5, 5, 3, 1]);
  });

  it('dead-letters a poison request and keeps placing', async () => {
    const echo = workers.find((w) => w.id === `${ns()}-old`) as FakeWorker;
    await probe.sendRaw(topology.queues.schedulerRequests, Buffer.from('{"v":1,"experimentId":'));
    const [after] = await probe.request(taskRequest('echo', { constraints: { labels: { site: 'x' } } }));
    await waitFor('the request after the poison to run', () =>
      echo.received.some((a) => a.taskId === after?.taskId),
    );
    let dead = false as Awaited<ReturnType<BrokerProbe['get']>>;
    await waitFor('the poison in the dead-letter queue', async () => {
      dead = await probe.get(topology.queues.deadLetter);
      return dead !== false;
    });
    if (dead === false) throw new Error('the poison left the dead-letter queue');
    expect(dead.content.toString()).toBe('{"v":1,"experimentId":');
    expect(dead.properties.headers?.[DEAD_LETTER_HEADERS.errorCode]).toBe('MESSAGE_INVALID');
    expect(dead.properties.headers?.[DEAD_LETTER_HEADERS.sourceQueue]).toBe(
      topology.queues.schedulerRequests,
    );
    expect(scheduler.state).toBe('running');
  });

  it('drops held requests of a cancelled task and refuses late ones', async () => {
    await servedElsewhere('cancel-type');
    const [held] = await probe.request(
      taskRequest('cancel-type', { experimentId: 'exp-cancel', taskId: 'c1', constraints: ELSEWHERE }),
    );
    await waitFor('the request to be held', () => scheduler.status().requests.held === 1);
    const cancel = {
      v: 1,
      type: 'CANCEL_TASK',
      experimentId: 'exp-cancel',
      run: 1,
      requestedAt: new Date().toISOString(),
    } as const;
    await probe.publish(
      topology.exchanges.control,
      controlRoutingKey(cancel),
      encodeMessage(controlMessageSchema, cancel),
    );
    await waitFor('the CANCELLED event', () => probe.eventsOf('CANCELLED').length === 1);
    expect(probe.eventsOf('CANCELLED')[0]).toMatchObject({
      experimentId: 'exp-cancel',
      run: 1,
      taskId: held?.taskId,
      attempt: 1,
    });
    expect(scheduler.status().requests.held).toBe(0);
    // Made before the cancel but arriving after it (in flight meanwhile): dropped.
    const madeBeforeCancel = new Date(Date.parse(cancel.requestedAt) - 1_000).toISOString();
    await probe.request(
      taskRequest('cancel-type', {
        experimentId: 'exp-cancel',
        taskId: 'c2',
        requestedAt: madeBeforeCancel,
        constraints: ELSEWHERE,
      }),
    );
    await waitFor('the late request to be cancelled', () => probe.eventsOf('CANCELLED').length === 2);
    expect(scheduler.status().requests.held).toBe(0);
    // Made after the cancel, as when the experiment is resumed or rerun: held like any other request.
    await probe.request(
      taskRequest('cancel-type', { experimentId: 'exp-cancel', taskId: 'c3', constraints: ELSEWHERE }),
    );
    await waitFor('the resumed request to be held', () => scheduler.status().requests.held === 1);
    expect(probe.eventsOf('CANCELLED')).toHaveLength(2);
    const secondCancel = { ...cancel, requestedAt: new Date().toISOString() };
    await probe.publish(
      topology.exchanges.control,
      controlRoutingKey(secondCancel),
      encodeMessage(controlMessageSchema, secondCancel),
    );
    await waitFor('the resumed request to be cancelled', () => probe.eventsOf('CANCELLED').length === 3);
    expect(scheduler.status().requests.held).toBe(0);
  });

  it('places requests held across a lost connection exactly once after it is back', async () => {
    await servedElsewhere('after-blip');
    const held = await probe.request(
      taskRequest('after-blip', { taskId: 'b1', constraints: ELSEWHERE }),
      taskRequest('after-blip', { taskId: 'b2', constraints: ELSEWHERE }),
      taskRequest('after-blip', { taskId: 'b3', constraints: ELSEWHERE }),
    );
    await waitFor('the requests held', () => scheduler.status().requests.held === 3);
    expect(await forceCloseConnections(`wlm-scheduler-${scheduler.instanceId}`)).toBe(1);
    // The broker requeued them with the connection; the scheduler holds them again once it is back.
    await waitFor('the requests held again', () => scheduler.status().requests.held === 3, 20_000);
    const late = await worker({
      id: `${ns()}-blip`,
      slots: 4,
      taskTypes: { 'after-blip': '1.0.0' },
      labels: ELSEWHERE.labels,
    });
    await waitFor('all three to run', () => late.received.length === 3, 20_000);
    // Proves an absence: a requeued copy placed twice would arrive within this time.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(late.received.map((a) => a.taskId).sort()).toEqual(held.map((r) => r.taskId).sort());
    expect(probe.eventsOf('QUEUED', (e) => e.taskId.startsWith('b'))).toHaveLength(3);
  });
});

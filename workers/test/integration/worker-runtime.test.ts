import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { WORKER_DIED_EVENT, decodeAdvertisementTags } from '@wlm/commons/advertisement';
import { WlmTopology } from '@wlm/commons/amqp';
import { loadConfig } from '@wlm/commons/config';
import type { TaskEvent } from '@wlm/commons/wire';
import { Worker, pluginSpecifier } from '@wlm/workers';
import type { WorkerOptions, WorkerTaskInfo } from '@wlm/workers';
import { CliWorker } from '../support/cli-worker';
import { ensureBuilt } from '../support/ensure-built';
import { AMQP_URL, eventually } from '@wlm/test-support';
import { SeedAgent } from '../support/seed-agent';
import { TestBroker, testLogger } from '../support/test-broker';

/*
 * The worker runtime against the real RabbitMQ of `wlm stack` and real Serf agents. The test plays
 * the scheduler: it publishes TaskAssignments straight to worker queues and watches the task events
 * and the Serf adverts. Everything lives under a namespace of its own, deleted at the end; the Serf
 * cluster is a seed agent of its own, killed at the end, so nothing here reaches the stack's agent.
 */

jest.setTimeout(120_000);

const FIXTURES = join(__dirname, '..', 'fixtures');
const suffix = randomBytes(4).toString('hex');
const topology = new WlmTopology(`wtest${suffix}`);
const workerIds: string[] = [];
const workers: Worker[] = [];
let seed: SeedAgent;
let broker: TestBroker;

async function startWorker(name: string, extra: Partial<WorkerOptions> = {}): Promise<Worker> {
  const workerId = `${name}-${suffix}`;
  workerIds.push(workerId);
  const worker = new Worker({
    workerId,
    plugins: ['echo', 'shell'].map(pluginSpecifier),
    slots: 2,
    namespace: topology.namespace,
    amqpUrl: AMQP_URL,
    serf: { mode: 'own-agent', join: [seed.bindAddr], ...projectSerfKeys() },
    logger: testLogger,
    advertiseIntervalMs: 100,
    progressIntervalMs: 100,
    // RUNNING as each run starts, so the event sequences below are exact; the delay has its own tests.
    runningReportDelayMs: 0,
    cancelGraceMs: 1_000,
    ...extra,
  });
  workers.push(worker);
  await worker.start();
  return worker;
}

/**
 * A graceful leave as the scheduler reads it: `leaving` (the leave intent reached the cluster) or
 * `left` — never `failed`. `leaving` turns `left` only once memberlist also finds the node gone,
 * which on a loaded machine can take longer than the test waits.
 */
function leftGracefully(member: { status: string } | undefined): boolean {
  return member?.status === 'leaving' || member?.status === 'left';
}

function states(events: readonly TaskEvent[]): string[] {
  return events.map((event) => event.state).filter((state) => state !== 'PROGRESS');
}

function nextWorkerEvent(worker: Worker, name: 'task:duplicate' | 'task:started'): Promise<WorkerTaskInfo> {
  return new Promise((resolve) => worker.once(name, resolve));
}

beforeAll(async () => {
  ensureBuilt();
  seed = await SeedAgent.start(`wtest-seed-${suffix}`);
  broker = await TestBroker.open(topology);
});

afterAll(async () => {
  await Promise.allSettled(workers.map((worker) => worker.close({ force: true })));
  await broker?.destroy(workerIds);
  await seed?.stop();
});

describe('a worker', () => {
  let worker: Worker;
  let workerId: string;

  beforeAll(async () => {
    worker = await startWorker('wa', {
      labels: { site: 'test' },
      plugins: [
        ...['echo', 'shell'].map(pluginSpecifier),
        join(FIXTURES, 'good-plugin.js'),
        join(FIXTURES, 'load-throws.js'),
      ],
    });
    workerId = worker.info.workerId;
  });

  it('advertises the plugins that loaded, its slots and labels, and reports the plugin that did not', async () => {
    expect(worker.state).toBe('running');
    expect(worker.info.pluginFailures).toEqual([
      {
        specifier: expect.stringContaining('load-throws.js'),
        reason: expect.stringContaining('cannot be loaded'),
      },
    ]);
    const advert = await eventually(
      'the advert',
      () => seed.advert(workerId),
      (ad) => ad !== undefined,
    );
    expect(advert).toEqual({
      role: 'worker',
      workerId,
      queue: topology.workerQueue(workerId),
      slots: 2,
      freeSlots: 2,
      taskTypes: { echo: '0.1.0', shell: '0.1.0', 'fixture-good': '1.0.0' },
      labels: { site: 'test' },
    });
  });

  it('runs an assignment: RUNNING, then COMPLETED with the outputs, and acks it', async () => {
    const assignment = broker.assignment(workerId, { context: { message: 'hi', n: 3 } });
    await broker.assign(assignment);
    const completed = await broker.waitForEvent(assignment.experimentId, 'COMPLETED');
    expect(completed).toMatchObject({ workerId, attempt: 1, taskId: 'a', outputs: { message: 'hi', n: 3 } });
    expect(states(broker.eventsOf(assignment.experimentId))).toEqual(['RUNNING', 'COMPLETED']);
    expect(await broker.unacked(topology.workerQueue(workerId))).toBe(0);
  });

  it('relays the progress a plugin reports as PROGRESS events', async () => {
    // The fixture reports `halfway, 50 %` once, then completes.
    const assignment = broker.assignment(workerId, { taskType: 'fixture-good', context: { value: 1 } });
    await broker.assign(assignment);
    await broker.waitForEvent(assignment.experimentId, 'COMPLETED');
    expect(broker.eventsOf(assignment.experimentId).map((event) => event.state)).toEqual([
      'RUNNING',
      'PROGRESS',
      'COMPLETED',
    ]);
    expect(await broker.waitForEvent(assignment.experimentId, 'PROGRESS')).toMatchObject({
      workerId,
      message: 'halfway',
      percent: 50,
    });
  });

  it('advertises fewer free slots while tasks run, and all of them again afterwards', async () => {
    const sleepers = [1, 2].map(() => broker.assignment(workerId, { context: { sleepMs: 4_000 } }));
    for (const assignment of sleepers) await broker.assign(assignment);
    await eventually(
      'no free slots',
      () => seed.advert(workerId),
      (ad) => ad?.freeSlots === 0,
    );
    for (const assignment of sleepers) await broker.waitForEvent(assignment.experimentId, 'COMPLETED');
    await eventually(
      'free slots again',
      () => seed.advert(workerId),
      (ad) => ad?.freeSlots === 2,
    );
  });

  it("fails a retryable failure with the request to retry, unchanged: excluding the worker is the scheduler's call", async () => {
    const assignment = broker.assignment(workerId, {
      context: { failTimes: 1 },
      excludeWorkers: ['w-before'],
      retry: { maxAttempts: 3, backoffMs: 10 },
    });
    await broker.assign(assignment);
    const failed = await broker.waitForEvent(assignment.experimentId, 'FAILED');
    expect(failed).toMatchObject({ workerId, retryable: true, errorCode: 'ECHO_INJECTED_FAILURE' });
    expect(failed.request).toEqual({
      v: 1,
      experimentId: assignment.experimentId,
      run: assignment.run,
      taskId: assignment.taskId,
      attempt: 1,
      taskType: 'echo',
      context: { failTimes: 1 },
      priority: assignment.priority,
      retry: { maxAttempts: 3, backoffMs: 10 },
      requestedAt: assignment.requestedAt,
      excludeWorkers: ['w-before'],
    });
    expect(states(broker.eventsOf(assignment.experimentId))).toEqual(['RUNNING', 'FAILED']);
  });

  it('stops a running task on cancel: CANCELLED, and the assignment is acked', async () => {
    const assignment = broker.assignment(workerId, { context: { sleepMs: 60_000 } });
    await broker.assign(assignment);
    await broker.waitForEvent(assignment.experimentId, 'RUNNING');
    await broker.cancel(assignment.experimentId, assignment.taskId);
    const cancelled = await broker.waitForEvent(assignment.experimentId, 'CANCELLED', 10_000);
    expect(cancelled).toMatchObject({ workerId, reason: 'cancelled by the test' });
    expect(states(broker.eventsOf(assignment.experimentId))).toEqual(['RUNNING', 'CANCELLED']);
    await eventually(
      'the ack',
      () => broker.unacked(topology.workerQueue(workerId)),
      (n) => n === 0,
    );
  });

  it('acks an assignment of a task cancelled earlier as CANCELLED without running it', async () => {
    const assignment = broker.assignment(workerId, {
      requestedAt: new Date(Date.now() - 1_000).toISOString(),
    });
    await broker.cancel(assignment.experimentId);
    // The cancel travels on another queue; give the worker a moment to take it in first.
    await eventually(
      'the cancel delivered',
      () => broker.ready(topology.workerControlQueue(workerId)),
      (n) => n === 0,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await broker.assign(assignment);
    await broker.waitForEvent(assignment.experimentId, 'CANCELLED');
    expect(states(broker.eventsOf(assignment.experimentId))).toEqual(['CANCELLED']);
  });

  it('acks a redelivered assignment whose run already ended without running it again', async () => {
    const assignment = broker.assignment(workerId);
    await broker.assign(assignment);
    await broker.waitForEvent(assignment.experimentId, 'COMPLETED');
    const duplicate = nextWorkerEvent(worker, 'task:duplicate');
    await broker.assign(assignment);
    expect(await duplicate).toMatchObject({ assignmentId: assignment.assignmentId });
    // Proves an absence: no event of a second run follows the duplicate's ack.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(states(broker.eventsOf(assignment.experimentId))).toEqual(['RUNNING', 'COMPLETED']);
    expect(await broker.ready(topology.workerQueue(workerId))).toBe(0);
  });

  it('has acked every assignment when it stops, and announced its departure before leaving', async () => {
    await worker.close();
    expect(worker.state).toBe('stopped');
    expect(await broker.ready(topology.workerQueue(workerId))).toBe(0);
    const member = await eventually(
      'the graceful leave',
      () => seed.member(workerId),
      (member) => leftGracefully(member),
    );
    // Exchanged with the seed, a controller's agent, before the leave: a scheduler there reads the
    // member's disappearance as a departure even if the leave intent never reached it.
    expect(decodeAdvertisementTags(member?.tags ?? {})).toMatchObject({ freeSlots: 0, departing: true });
  });
});

describe('a worker that holds RUNNING back (runningReportDelayMs)', () => {
  let worker: Worker;
  let workerId: string;

  beforeAll(async () => {
    // Longer than a first run takes on a loaded machine, fork included: every quick run ends within it.
    worker = await startWorker('wd', { runningReportDelayMs: 5_000 });
    workerId = worker.info.workerId;
  });

  afterAll(async () => {
    await worker.close();
  });

  it('reports a run that ends within the delay with one COMPLETED, which carries its start', async () => {
    const assignment = broker.assignment(workerId, { context: { message: 'quick' } });
    const assignedAt = Date.now();
    await broker.assign(assignment);
    const completed = await broker.waitForEvent(assignment.experimentId, 'COMPLETED');
    expect(completed).toMatchObject({ workerId, outputs: { message: 'quick' } });
    const startedAt = Date.parse((completed as { startedAt?: string }).startedAt ?? '');
    expect(startedAt).toBeGreaterThanOrEqual(assignedAt - 1_000);
    expect(startedAt).toBeLessThanOrEqual(Date.parse(completed.at));
    // Proves an absence: no RUNNING follows once the delay is over.
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    expect(broker.eventsOf(assignment.experimentId).map((event) => event.state)).toEqual(['COMPLETED']);
  });

  it('sends RUNNING ahead of the first PROGRESS of a longer run, and then no start on its COMPLETED', async () => {
    // echo reports progress after each quarter of its sleep, well within the delay.
    const assignment = broker.assignment(workerId, { context: { sleepMs: 1_000 } });
    await broker.assign(assignment);
    const completed = await broker.waitForEvent(assignment.experimentId, 'COMPLETED');
    const events = broker.eventsOf(assignment.experimentId);
    expect(events[0]?.state).toBe('RUNNING');
    expect(events[1]?.state).toBe('PROGRESS');
    expect(Date.parse(events[0]?.at ?? '')).toBeLessThanOrEqual(Date.parse(events[1]?.at ?? ''));
    expect(states(events)).toEqual(['RUNNING', 'COMPLETED']);
    expect(completed).not.toHaveProperty('startedAt');
  });
});

describe('graceful shutdown', () => {
  it('hands an unfinished assignment back to the queue and leaves the cluster', async () => {
    // A drain long enough for the short task on a loaded machine, far shorter than the long one.
    const worker = await startWorker('wb', { drainTimeoutMs: 8_000 });
    const { workerId, queue } = worker.info;
    await eventually(
      'the advert',
      () => seed.advert(workerId),
      (ad) => ad !== undefined,
    );
    const finished = broker.assignment(workerId, { context: { sleepMs: 500 } });
    const unfinished = broker.assignment(workerId, { context: { sleepMs: 60_000 } });
    await broker.assign(finished);
    await broker.assign(unfinished);
    await broker.waitForEvent(finished.experimentId, 'RUNNING');
    await broker.waitForEvent(unfinished.experimentId, 'RUNNING');

    const handedBack: string[] = [];
    worker.on('task:handed-back', (task) => handedBack.push(task.assignmentId));
    await worker.close();

    expect(worker.state).toBe('stopped');
    expect(handedBack).toEqual([unfinished.assignmentId]);
    // The short task finished within the drain; the long one is back in the queue, unreported.
    expect(states(broker.eventsOf(finished.experimentId))).toEqual(['RUNNING', 'COMPLETED']);
    expect(states(broker.eventsOf(unfinished.experimentId))).toEqual(['RUNNING']);
    expect(await broker.ready(queue)).toBe(1);
    expect(await broker.takeAssignment(queue)).toEqual(unfinished);
    await eventually(
      'the graceful leave',
      () => seed.member(workerId),
      (member) => leftGracefully(member),
    );
  });
});

describe("on the host's Serf agent (--serf-rpc)", () => {
  it('advertises through it, refuses a second worker on it, and removes its tags when it stops', async () => {
    const hostName = `wtest-host-${suffix}`;
    const host = await SeedAgent.start(hostName, seed.bindAddr);
    try {
      const { rpcAuthKey } = projectSerfKeys();
      const serf = {
        mode: 'host-agent' as const,
        rpcAddr: host.rpcAddr,
        ...(rpcAuthKey === undefined ? {} : { rpcAuthKey }),
      };
      const worker = await startWorker('wf', { serf });
      const { workerId } = worker.info;
      expect(worker.info.serf).toEqual({ mode: 'host-agent', rpcAddr: host.rpcAddr });
      const advert = await eventually(
        'the advert on the host agent',
        () => seed.advert(hostName),
        (ad) => ad?.workerId === workerId,
      );
      expect(advert).toMatchObject({ slots: 2, freeSlots: 2, queue: topology.workerQueue(workerId) });
      // Tags belong to the agent: a second worker would overwrite the first one's advert.
      await expect(startWorker('wg', { serf })).rejects.toThrow(`already advertises worker "${workerId}"`);

      await worker.close();
      const member = await eventually(
        'the tags removed',
        () => seed.member(hostName),
        (m) => m?.tags['r'] === undefined,
      );
      expect(member?.status).toBe('alive');
    } finally {
      await host.leave();
    }
  });
});

/** `wlm worker` in this file's namespace, joining `cluster` (the shared seed by default). */
function cliWorker(workerId: string, args: readonly string[], cluster: SeedAgent = seed): CliWorker {
  workerIds.push(workerId);
  return new CliWorker(workerId, ['--join', cluster.bindAddr, '--namespace', topology.namespace, ...args]);
}

describe('wlm worker (the CLI)', () => {
  // The CLI runs from dist: build it (incremental) with what it starts.
  beforeAll(() => ensureBuilt(['scripts']));

  it('comes up, advertises, runs a task and exits cleanly on SIGTERM', async () => {
    const workerId = `wc-${suffix}`;
    const cli = cliWorker(workerId, ['--tasks', 'echo', '--slots', '1', '--labels', 'site=cli', '--json']);
    try {
      await cli.started();
      expect(JSON.parse(cli.stdout)).toMatchObject({
        workerId,
        queue: topology.workerQueue(workerId),
        slots: 1,
        taskTypes: { echo: '0.1.0' },
        labels: { site: 'cli' },
        pluginFailures: [],
        serf: { mode: 'own-agent', joined: [seed.bindAddr] },
      });
      const advert = await eventually(
        'the advert',
        () => seed.advert(workerId),
        (ad) => ad !== undefined,
      );
      expect(advert).toMatchObject({ slots: 1, taskTypes: { echo: '0.1.0' }, labels: { site: 'cli' } });
      const assignment = broker.assignment(workerId, { context: { via: 'cli' } });
      await broker.assign(assignment);
      expect(await broker.waitForEvent(assignment.experimentId, 'COMPLETED')).toMatchObject({
        outputs: { via: 'cli' },
      });

      cli.kill('SIGTERM');
      expect(await cli.exited).toEqual({ code: 0, signal: null });
      expect(cli.stderr).toContain('SIGTERM: draining');
      await eventually(
        'the graceful leave',
        () => seed.member(workerId),
        (member) => leftGracefully(member),
      ).catch((error: Error) => {
        // The worker's log says whether its agent had lost the seed (then no leave could reach it).
        throw new Error(`${error.message}\nworker stderr:\n${cli.stderr.slice(-4000)}`);
      });
    } finally {
      cli.reap();
    }
  });

  it('hands a running task back at once on a second SIGTERM', async () => {
    const workerId = `wd-${suffix}`;
    const cli = cliWorker(workerId, ['--tasks', 'echo', '--slots', '1', '--drain-timeout', '600']);
    try {
      await cli.started();
      const assignment = broker.assignment(workerId, { context: { sleepMs: 600_000 } });
      await broker.assign(assignment);
      await broker.waitForEvent(assignment.experimentId, 'RUNNING');
      cli.kill('SIGTERM');
      await eventually(
        'the drain',
        () => cli.stderr,
        (text) => text.includes('draining'),
      );
      cli.kill('SIGTERM');
      expect(await cli.exited).toEqual({ code: 0, signal: null });
      expect(states(broker.eventsOf(assignment.experimentId))).toEqual(['RUNNING']);
      expect(await broker.takeAssignment(topology.workerQueue(workerId))).toEqual(assignment);
    } finally {
      cli.reap();
    }
  });

  it('when killed, its agent announces the death and leaves: the cluster sees it gone at once, its assignment is requeued', async () => {
    const clusterSeed = await SeedAgent.start(`wtest-kill-seed-${suffix}`);
    const workerId = `we-${suffix}`;
    const cli = cliWorker(workerId, ['--tasks', 'echo', '--slots', '1'], clusterSeed);
    const notices: string[] = [];
    const stream = await clusterSeed.client.stream([`user:${WORKER_DIED_EVENT}`]);
    stream.on('event', (event) => {
      if (event.type === 'user') notices.push(new TextDecoder().decode(event.payload));
    });
    try {
      await cli.started();
      await eventually(
        'the advert',
        () => clusterSeed.advert(workerId),
        (ad) => ad !== undefined,
      );
      const assignment = broker.assignment(workerId, { context: { sleepMs: 600_000 } });
      await broker.assign(assignment);
      await broker.waitForEvent(assignment.experimentId, 'RUNNING');
      cli.kill('SIGKILL');
      await cli.exited;
      const killedAt = Date.now();
      // The unacked delivery goes back when the connection dies with the process.
      await eventually(
        'the requeue',
        () => broker.ready(topology.workerQueue(workerId)),
        (n) => n === 1,
      );
      // An orphaned agent would keep the worker alive in the cluster; the watchdog announces the
      // death (what schedulers act on) and makes the agent leave, well before Serf could suspect it.
      const member = await eventually(
        'the death notice and the leave',
        () => clusterSeed.member(workerId),
        (m) => m?.status === 'left' && notices.includes(m.name),
        5_000,
      );
      expect(member?.name).toMatch(new RegExp(`^${workerId}~[0-9a-z]+$`));
      testLogger.info({ detectionMs: Date.now() - killedAt }, 'worker death announced');
    } finally {
      cli.reap();
      await stream.stop();
      await clusterSeed.stop();
    }
  });
});

/** The installation's Serf keys, which the seed agent uses too (see seed-agent.ts). */
function projectSerfKeys(): { encryptKey?: string; rpcAuthKey?: string } {
  const { encryptKey, rpcAuthKey } = loadConfig().serf;
  return {
    ...(encryptKey === undefined ? {} : { encryptKey }),
    ...(rpcAuthKey === undefined ? {} : { rpcAuthKey }),
  };
}

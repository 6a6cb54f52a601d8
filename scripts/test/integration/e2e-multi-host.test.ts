import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@wlm/commons/config';
import type { TaskAssignmentInput, TaskRequestInput } from '@wlm/commons/wire';
import { NetnsLab } from '../../src';
import type { LabHost } from '../../src';
import { E2eCluster } from '../support/e2e-cluster';
import { ensureBuilt } from '../../../workers/test/support/ensure-built';
import { eventually } from '@wlm/test-support';

/*
 * wlm across hosts: three hosts, each a network namespace with its own address on a bridge, each
 * running a worker with its own Serf agent bound to that address. The scheduler and the cluster's
 * seed agent run on this machine, on the bridge's gateway address; RabbitMQ is reached through a
 * TCP forwarder on a second address of the bridge. Gossip is encrypted and RPC authenticated.
 * Tasks count their own executions in a ledger file (the fault suite's plugin), so "at most once"
 * is checked by what ran.
 *
 * Needs root (network namespaces); CI runs as root.
 */

jest.setTimeout(240_000);

const LEDGER_PLUGIN = join(__dirname, '..', 'fixtures', 'ledger-plugin.js');
/**
 * What the docs promise for a vanished host: failed within 5 s. The broker keeps its connection
 * until heartbeats run out, and Serf's own detection takes 4.4–6 s here (a probe round, a confirming
 * probe, the 3 s minimum suspicion); the scheduler's liveness probe finds the host silent after two
 * missed one-second rounds — 1.4–2.7 s measured here. A process crash is announced and takes ~0.1 s.
 */
const DETECTED_WITHIN_MS = 5_000;
/** Under RabbitMQ's heartbeat timeout (2 × 15 s), so the cut worker's connection survives the cut. */
const CUT_MS = 12_000;
const LONG_TASK_MS = 15_000;

const describeWithRoot = process.getuid?.() === 0 ? describe : describe.skip;

let lab: NetnsLab;
let cluster: E2eCluster;
let ledgerDir: string;
const workerOf = new Map<string, string>();

function ledgerPath(): string {
  return join(ledgerDir, 'ledger');
}

/** How many times each task started, by what the tasks themselves wrote. */
function executions(): Map<string, number> {
  const counts = new Map<string, number>();
  let text = '';
  try {
    text = readFileSync(ledgerPath(), 'utf8');
  } catch {
    return counts;
  }
  for (const line of text.split('\n').filter(Boolean)) {
    const task = line.split('/').slice(0, 3).join('/');
    counts.set(task, (counts.get(task) ?? 0) + 1);
  }
  return counts;
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) return;
  ensureBuilt(['scripts']);
  ledgerDir = mkdtempSync(join(tmpdir(), 'wlm-multi-host-'));
  lab = await NetnsLab.create(3);
  const broker = new URL(loadConfig().rabbitmq.url);
  const forwarded = await lab.forward(broker.hostname, Number(broker.port || 5672));
  const workerBroker = new URL(broker.toString());
  workerBroker.host = forwarded;
  cluster = await E2eCluster.start({
    seedBindHost: lab.gateway,
    serf: { encryptKey: randomBytes(32).toString('base64'), rpcAuthKey: randomBytes(16).toString('hex') },
  });
  await cluster.startScheduler();
  for (const host of lab.hosts) {
    const workerId = await cluster.startWorker({
      name: host.name,
      tasks: LEDGER_PLUGIN,
      slots: 1,
      labels: `host=${host.name}`,
      netns: host.netns,
      env: { WLM_RABBITMQ_URL: workerBroker.toString() },
      args: ['--serf-bind', host.address],
    });
    workerOf.set(host.name, workerId);
  }
});

afterAll(async () => {
  await cluster?.cleanUp(['ledger']);
  await lab?.destroy();
  if (ledgerDir !== undefined) rmSync(ledgerDir, { recursive: true, force: true });
});

function request(experimentId: string, sleepMs: number, host?: string): TaskRequestInput {
  return {
    v: 1,
    experimentId,
    run: 1,
    taskId: 't',
    attempt: 1,
    taskType: 'ledger',
    context: { ledger: ledgerPath(), sleepMs },
    ...(host === undefined ? {} : { constraints: { labels: { host } } }),
    priority: 5,
    requestedAt: new Date().toISOString(),
  };
}

/** Assignments straight into the host's worker queue: the first runs (one slot), the others wait there. */
function assignments(host: LabHost, prefix: string, sleeps: readonly number[]): TaskAssignmentInput[] {
  const workerId = workerOf.get(host.name) ?? '';
  return sleeps.map((sleepMs, i) => ({
    ...request(`${cluster.namespace}.${prefix}${i}`, sleepMs),
    assignmentId: `${prefix}${i}-${randomBytes(4).toString('hex')}`,
    workerId,
    assignedAt: new Date().toISOString(),
  }));
}

/** When the scheduler logged `msg` for the worker (ms since the epoch), once it has. */
async function loggedAt(msg: string, workerId: string, after: number, timeoutMs: number): Promise<number> {
  const [scheduler] = cluster.schedulers;
  const record = await eventually(
    `the scheduler logging "${msg}" for ${workerId}`,
    () => scheduler?.logged(msg).find((r) => r.workerId === workerId && Number(r['time']) >= after),
    (found) => found !== undefined,
    timeoutMs,
  ).catch((error: Error) => {
    // What the scheduler last said about the worker is what tells which step of a recovery was missed.
    const about = scheduler?.logs.filter((r) => JSON.stringify(r).includes(workerId)).slice(-15) ?? [];
    throw new Error(
      `${error.message}\nthe scheduler's last lines about it:\n${about.map((r) => JSON.stringify(r)).join('\n')}`,
    );
  });
  return Number(record?.['time']);
}

function mailSubjects(workerId: string): string[] {
  return cluster
    .mails()
    .map((mail) => mail.subject)
    .filter((subject) => subject.includes(`worker ${workerId} `))
    .sort();
}

/**
 * A fault on `host` while it runs a long task with two more waiting in its queue: the scheduler must
 * mark it failed within 5 s, run the waiting two elsewhere at once, leave the running one to it (it
 * may still be running it), and take it back when the fault ends. Every task runs exactly once.
 */
async function faultScenario(
  host: LabHost,
  prefix: string,
  fault: { begin: () => Promise<void>; end: () => Promise<void> },
): Promise<{ detectedMs: number; movedMs: number }> {
  const workerId = workerOf.get(host.name) ?? '';
  const [long, ...waiting] = assignments(host, prefix, [LONG_TASK_MS, 100, 100]);
  await cluster.broker.assign(long as TaskAssignmentInput, ...waiting);
  await cluster.broker.waitForEvent('RUNNING', long?.experimentId ?? '', 't', 15_000);
  const faultAt = Date.now();
  await fault.begin();
  const failedAt = await loggedAt('worker failed', workerId, faultAt, 20_000);
  const moved = await Promise.all(
    waiting.map((a) => cluster.broker.waitForEvent('RUNNING', a.experimentId, 't', 15_000)),
  );
  for (const event of moved) expect(event).toMatchObject({ attempt: 2 });
  for (const event of moved) expect(event.workerId).not.toBe(workerId);
  const movedAt = Math.max(...moved.map((event) => Date.parse(event.at)));

  await new Promise((resolve) => setTimeout(resolve, Math.max(0, faultAt + CUT_MS - Date.now())));
  const endedAt = Date.now();
  await fault.end();
  await loggedAt('worker recovered', workerId, endedAt, 30_000);
  const done = await cluster.broker.waitForEvent('COMPLETED', long?.experimentId ?? '', 't', 30_000);
  expect(done).toMatchObject({ workerId, attempt: 1 });
  // It serves again: a task that only it may run.
  await cluster.broker.request(request(`${cluster.namespace}.${prefix}back`, 0, host.name));
  const back = await cluster.broker.waitForEvent(
    'COMPLETED',
    `${cluster.namespace}.${prefix}back`,
    't',
    20_000,
  );
  expect(back.workerId).toBe(workerId);

  const ran = executions();
  for (const a of [long, ...waiting]) expect(ran.get(`${a?.experimentId}/1/t`)).toBe(1);
  await eventually(
    'a failure and a recovery mail',
    () => mailSubjects(workerId),
    (s) => s.length >= 2,
    15_000,
  );
  expect(mailSubjects(workerId)).toEqual([
    `[wlm] worker ${workerId} failed`,
    `[wlm] worker ${workerId} recovered`,
  ]);
  return { detectedMs: failedAt - faultAt, movedMs: movedAt - failedAt };
}

describeWithRoot('workers on three hosts (network namespaces)', () => {
  it('runs tasks on every host', async () => {
    expect.hasAssertions();
    for (const host of lab.hosts) {
      const experimentId = `${cluster.namespace}.on-${host.name}`;
      await cluster.broker.request(request(experimentId, 0, host.name));
      const done = await cluster.broker.waitForEvent('COMPLETED', experimentId, 't', 20_000);
      expect(done.workerId).toBe(workerOf.get(host.name));
    }
  });

  it('a host whose link is cut is failed within 5 s, its waiting work runs elsewhere, and it comes back when the link does', async () => {
    expect.hasAssertions();
    const host = lab.host('h3');
    const { detectedMs, movedMs } = await faultScenario(host, 'cut', {
      begin: () => lab.cutLink(host),
      end: () => lab.restoreLink(host),
    });
    process.stderr.write(
      `multi-host: link cut noticed after ${detectedMs} ms; waiting work running elsewhere ${movedMs} ms later\n`,
    );
    expect(detectedMs).toBeLessThanOrEqual(DETECTED_WITHIN_MS);
  });

  it('a host cut off from the scheduler and its Serf peers but not from the broker runs nothing twice', async () => {
    expect.hasAssertions();
    const host = lab.host('h2');
    const peers = [lab.gateway, ...lab.hosts.filter((h) => h !== host).map((h) => h.address)];
    const { detectedMs, movedMs } = await faultScenario(host, 'part', {
      begin: () => lab.isolate(host, peers),
      end: () => lab.heal(host, peers),
    });
    process.stderr.write(
      `multi-host: partition noticed after ${detectedMs} ms; waiting work running elsewhere ${movedMs} ms later\n`,
    );
    expect(detectedMs).toBeLessThanOrEqual(DETECTED_WITHIN_MS);
  });
});

import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@wlm/commons/logging';
import { LeaderElection, MysqlStateStore } from '@wlm/orchestrator';
import type { DeposedEvent, ElectedEvent, LeaderElectionOptions } from '@wlm/orchestrator';
import { ChildScripts } from '@wlm/test-support';
import type { ChildScript } from '@wlm/test-support';
import { testDatabase } from './support/test-database';

const logger = createLogger({ component: 'test', level: 'silent', pretty: false });
const db = testDatabase('leader');
let store: MysqlStateStore;
const elections: LeaderElection[] = [];
const children = new ChildScripts();

/** Within "a couple of seconds", as the HA design promises for a dead leader. */
const TAKEOVER_MS = 2000;
/** Tests that start a child process (transpiling the sources) or wait out a session timeout. */
const SLOW_TEST_MS = 60_000;

beforeAll(async () => {
  // The store's migrations create the leadership table the elections write their terms to.
  store = await MysqlStateStore.open({ url: db.url, logger });
});

afterEach(async () => {
  await Promise.all(elections.splice(0).map((election) => election.resign()));
  await children.killAll();
});

afterAll(async () => {
  await store?.close();
  await db.drop();
});

beforeEach(() => {
  expect.hasAssertions();
});

function candidate(candidateId: string, options: Partial<LeaderElectionOptions> = {}): LeaderElection {
  const election = new LeaderElection({ url: db.url, logger, candidateId, heartbeatMs: 200, ...options });
  elections.push(election);
  return election;
}

async function lockConnectionId(): Promise<number> {
  const [row] = await db.rows(
    `SELECT connection_id FROM \`${db.name}\`.leadership WHERE name = 'orchestrator'`,
  );
  return Number(row?.['connection_id']);
}

/** Starts a candidate in a child process and waits until it leads. */
async function spawnLeader(candidateId: string, sessionTimeoutSeconds?: number): Promise<ChildScript> {
  const args = [db.url, candidateId];
  if (sessionTimeoutSeconds !== undefined) args.push(String(sessionTimeoutSeconds));
  const child = children.start(join(__dirname, 'support', 'leader-process.js'), args);
  await child.untilPrinted('elected', 30_000);
  return child;
}

/** Resolves with the first of `elections` to be elected. */
async function firstElected(...contenders: LeaderElection[]): Promise<LeaderElection> {
  return Promise.race(contenders.map(async (election) => ((await election.campaign()) ? election : never())));
}

function never(): Promise<never> {
  return new Promise(() => undefined);
}

async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  const cancel = new AbortController();
  const timeout = sleep(ms, undefined, { signal: cancel.signal }).then(() => {
    throw new Error(`not within ${ms} ms`);
  });
  timeout.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    cancel.abort(); // a pending timer would keep jest from exiting
  }
}

it('elects exactly one of two candidates and records it as the leader', async () => {
  const a = candidate('a');
  const b = candidate('b');
  const leader = await firstElected(a, b);
  await sleep(600); // several heartbeats: the standby must still be waiting
  expect([a.isLeader, b.isLeader]).toEqual([leader === a, leader === b]);
  const standby = leader === a ? b : a;
  expect(standby.phase).toBe('campaigning');
  expect(await store.getLeader()).toMatchObject({
    holder: leader.candidateId,
    term: leader.term,
    alive: true,
  });
});

it('hands over within a couple of seconds when the leader connection is killed', async () => {
  const a = candidate('a');
  await a.campaign();
  const b = candidate('b');
  void b.campaign();
  const termBefore = a.term ?? 0;
  const deposed = once(a, 'deposed') as Promise<[DeposedEvent]>;
  const elected = once(b, 'elected') as Promise<[ElectedEvent]>;

  const admin = await db.admin();
  await admin.query(`KILL CONNECTION ${await lockConnectionId()}`);

  const [electedEvent] = await within(TAKEOVER_MS, elected);
  const [deposedEvent] = await within(TAKEOVER_MS, deposed);
  expect(deposedEvent).toEqual({ term: termBefore, reason: 'connection-lost' });
  expect(electedEvent.term).toBeGreaterThan(termBefore);
  expect(b.isLeader).toBe(true);
  expect(a.isLeader).toBe(false);
  // The old leader keeps campaigning as a standby instead of giving up.
  expect(a.phase).toBe('campaigning');
  expect(await store.getLeader()).toMatchObject({ holder: 'b', alive: true });
});

it(
  'hands over within a couple of seconds when the leader process is SIGKILLed',
  async () => {
    const child = await spawnLeader('child');
    const standby = candidate('standby');
    const elected = standby.campaign();
    // Proves an absence (no hook fires for "still not elected"): a heartbeat and a half of campaigning.
    await sleep(300);
    expect(standby.isLeader).toBe(false);

    child.kill('SIGKILL');
    await expect(within(TAKEOVER_MS, elected)).resolves.toBe(true);
    expect(await store.getLeader()).toMatchObject({ holder: 'standby', alive: true });
  },
  SLOW_TEST_MS,
);

it('hands over at once on resign, and a resigned candidate can campaign again', async () => {
  const a = candidate('a');
  await a.campaign();
  const b = candidate('b');
  const bElected = b.campaign();
  const deposed = once(a, 'deposed') as Promise<[DeposedEvent]>;

  const resignedAt = Date.now();
  await a.resign();
  expect(await within(500, bElected)).toBe(true);
  expect(Date.now() - resignedAt).toBeLessThan(500);
  expect((await deposed)[0].reason).toBe('resigned');
  expect(a.phase).toBe('idle');
  expect(a.isLeader).toBe(false);

  const aAgain = a.campaign();
  await b.resign();
  expect(await within(500, aAgain)).toBe(true);
});

it('resolves a pending campaign with false when the candidate resigns before leading', async () => {
  const a = candidate('a');
  await a.campaign();
  const b = candidate('b');
  const pending = b.campaign();
  await sleep(100);
  await b.resign();
  expect(await pending).toBe(false);
  expect(b.phase).toBe('idle');
  expect(a.isLeader).toBe(true);
});

it(
  'frees the lock of a leader that falls silent (SIGSTOP, socket left open) after the session timeout',
  async () => {
    // A frozen or vanished machine sends no FIN: only the server-side wait_timeout of the lock
    // connection frees the lock. Without it the standby would wait for MariaDB's default of 8 hours.
    const child = await spawnLeader('frozen', 3);
    const standby = candidate('standby');
    const elected = standby.campaign();
    child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    try {
      await expect(within(3000 + TAKEOVER_MS, elected)).resolves.toBe(true);
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(2000);
    } finally {
      child.kill('SIGCONT');
    }
    expect(await store.getLeader()).toMatchObject({ holder: 'standby', alive: true });
  },
  SLOW_TEST_MS,
);

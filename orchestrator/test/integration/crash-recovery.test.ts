import type { CrashPoint } from '@wlm/orchestrator';
import { OrchestratorEnv } from './support/orchestrator-env';
import { OrchestratorProcess } from './support/orchestrator-process';

/*
 * The orchestrator runs as a child process built from the package and SIGKILLs itself at an injected
 * crash point (WLM_TEST_CRASH_AT, engine/crash-point.ts). A fresh process then recovers, and the
 * experiment must complete with every task run exactly once.
 */
const env = new OrchestratorEnv('crash');
const processes: OrchestratorProcess[] = [];

beforeAll(async () => {
  await env.startCluster();
});

afterEach(() => {
  for (const child of processes.splice(0)) if (child.alive) child.kill();
});

afterAll(async () => {
  await env.cleanup();
});

beforeEach(() => {
  expect.hasAssertions();
  env.cluster.behave(() => ({ kind: 'complete' }));
});

async function leader(
  name: string,
  crashAt?: CrashPoint,
  settings: NodeJS.ProcessEnv = {},
): Promise<OrchestratorProcess> {
  const child = OrchestratorProcess.start(env, name, crashAt, settings);
  processes.push(child);
  env.use(await child.listening());
  await env.until(`${name} to lead`, () => child.isLeader());
  return child;
}

async function experimentRow(type: string): Promise<{ id: string; state: string } | undefined> {
  const [row] = await env.db.rows(`SELECT id, state FROM \`${env.db.name}\`.experiments WHERE type = ?`, [
    type,
  ]);
  return row === undefined ? undefined : { id: String(row['id']), state: String(row['state']) };
}

/** What must hold after the crash, before the restart: the crash happened where it was asked to. */
const AFTER_CRASH: Record<CrashPoint, { state: string; dispatched: boolean }> = {
  'after-mysql-create': { state: 'PENDING', dispatched: false },
  'after-neo4j-instantiate': { state: 'PENDING', dispatched: false },
  'after-publish': { state: 'RUNNING', dispatched: true },
  'before-event-ack': { state: 'RUNNING', dispatched: true },
};

describe.each(Object.keys(AFTER_CRASH) as CrashPoint[])('a SIGKILL at %s', (point) => {
  it('loses nothing and runs no task twice once a new orchestrator has recovered', async () => {
    const type = env.type(point.replace(/-/g, ''));
    const crashing = await leader(`crashing-${point}`, point);
    await env.putDag({
      type,
      tasks: [
        { id: 'a', type: 'echo', params: { v: '{{inputs.v}}' } },
        { id: 'b', type: 'echo', after: ['a'] },
        { id: 'c', type: 'echo', after: ['a'], params: { from: '{{tasks.a.outputs.v}}' } },
        { id: 'd', type: 'echo', after: ['b', 'c'] },
      ],
    });
    const body = { type, inputs: { v: point }, priority: 7, idempotencyKey: `crash-${point}` };
    // The submission itself may die with the process: that is the client's problem to retry.
    await env.request('/api/experiments', { body }).catch(() => undefined);
    expect(await crashing.exit()).toBe('SIGKILL');

    const row = await experimentRow(type);
    expect(row?.state).toBe(AFTER_CRASH[point].state);
    const id = row?.id ?? '';
    expect(env.cluster.requestsOf(id).length > 0).toBe(AFTER_CRASH[point].dispatched);

    await leader(`recovering-${point}`);
    const done = await env.waitForState(id, 'COMPLETED');
    expect(done.tasks.every((task) => task.isExecuted)).toBe(true);
    // Every task ran once: re-dispatches after the crash reused the attempt, which consumers drop.
    const runs = env.cluster.ran.filter((key) => key.startsWith(`${id}/`));
    expect(runs.sort()).toEqual(['a', 'b', 'c', 'd'].map((taskId) => `${id}/${taskId}/1`));
    expect(done.tasks.find((task) => task.taskId === 'c')?.runs[0]?.outputs).toEqual({ from: point });
    // The client retrying its submission gets the same experiment.
    const retried = await env.request('/api/experiments', { body });
    expect(retried).toMatchObject({ status: 200, body: { id } });
  });
});

describe.each(['after-mysql-create', 'after-neo4j-instantiate'] as const)(
  'a SIGKILL at %s in the middle of a batch',
  (point) => {
    it('leaves none of its experiments stuck and runs each task once after recovery', async () => {
      const type = env.type(`batch${point.replace(/-/g, '')}`);
      const crashing = await leader(`batch-crashing-${point}`, point);
      await env.putDag({
        type,
        tasks: [
          { id: 'a', type: 'echo', params: { v: '{{inputs.v}}' } },
          { id: 'b', type: 'echo', after: ['a'] },
        ],
      });
      const items = Array.from({ length: 30 }, (_, i) => ({
        type,
        inputs: { v: `${point}-${i}` },
        idempotencyKey: `batch-crash-${point}-${i}`,
      }));
      await env.request('/api/experiments/batch', { body: { items } }).catch(() => undefined);
      expect(await crashing.exit()).toBe('SIGKILL');

      const rows = await env.db.rows(`SELECT id, state FROM \`${env.db.name}\`.experiments WHERE type = ?`, [
        type,
      ]);
      const ids = rows.map((row) => String(row['id']));
      // The whole batch was created in one transaction, and nothing of it was dispatched.
      expect(rows.map((row) => row['state'])).toEqual(Array(30).fill('PENDING'));
      expect(ids.filter((id) => env.cluster.requestsOf(id).length > 0)).toEqual([]);

      await leader(`batch-recovering-${point}`);
      for (const id of ids) await env.waitForState(id, 'COMPLETED');
      const ran = env.cluster.ran.filter((key) => ids.some((id) => key.startsWith(`${id}/`)));
      expect(ran.sort()).toEqual(ids.flatMap((id) => [`${id}/a/1`, `${id}/b/1`]).sort());
      // The client retrying its batch gets the same experiments.
      const retried = await env.request('/api/experiments/batch', { body: { items } });
      expect(retried.body).toMatchObject({ created: 0, existing: 30, failed: 0 });
    });
  },
);

describe('a SIGKILL at before-event-ack with several event batches in flight', () => {
  it('runs each task of every experiment once after recovery', async () => {
    const overlapping = { WLM_LEADER_EVENT_BATCHES_IN_FLIGHT: '3' };
    const type = env.type('inflightbeforeeventack');
    const crashing = await leader('inflight-crashing', 'before-event-ack', overlapping);
    await env.putDag({
      type,
      tasks: [
        { id: 'a', type: 'echo' },
        { id: 'b', type: 'echo', after: ['a'] },
        { id: 'c', type: 'echo', after: ['b'] },
      ],
    });
    const items = Array.from({ length: 30 }, (_, i) => ({
      type,
      inputs: {},
      idempotencyKey: `inflight-${i}`,
    }));
    await env.request('/api/experiments/batch', { body: { items } }).catch(() => undefined);
    // The first batch to reach its ack kills the leader, with the batches beside it half done.
    expect(await crashing.exit()).toBe('SIGKILL');
    const ids = (
      await env.db.rows(`SELECT id FROM \`${env.db.name}\`.experiments WHERE type = ?`, [type])
    ).map((row) => String(row['id']));
    expect(ids).toHaveLength(30);

    await leader('inflight-recovering', undefined, overlapping);
    for (const id of ids) await env.waitForState(id, 'COMPLETED');
    const ran = env.cluster.ran.filter((key) => ids.some((id) => key.startsWith(`${id}/`)));
    expect(ran.sort()).toEqual(ids.flatMap((id) => ['a', 'b', 'c'].map((task) => `${id}/${task}/1`)).sort());
  });
});

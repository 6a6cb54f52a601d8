import { randomUUID } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import { createLogger } from '@wlm/commons/logging';
import { PlacementFence, placementsWhere } from '@wlm/scheduler';
import type { ClaimOutcome, PlacementKey } from '@wlm/scheduler';
import { createConnection } from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';

/*
 * The placement fence against the real MariaDB, in a database of this file's own: each attempt is
 * placed once, across instances and restarts, for as long as the database keeps it.
 */

jest.setTimeout(60_000);

const database = `wlm_fence_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const url = `mysql://root@127.0.0.1:3306/${database}`;
const logger = createLogger({ component: 'placement-fence-test', level: 'warn' });
const fences: PlacementFence[] = [];

async function open(namespace = 'fence-test'): Promise<PlacementFence> {
  const fence = await PlacementFence.open({ url, namespace, logger });
  fences.push(fence);
  return fence;
}

function key(taskId: string, overrides: Partial<PlacementKey> = {}): PlacementKey {
  return { experimentId: 'exp-1', run: 1, taskId, attempt: 1, round: 1, ...overrides };
}

afterAll(async () => {
  await Promise.all(fences.map((fence) => fence.close()));
  const admin = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeId(database)}`);
  await admin.end();
});

describe('PlacementFence', () => {
  it('creates its database and table, and lets the first claim of an attempt through', async () => {
    const fence = await open();
    await expect(fence.claim({ ...key('a'), workerId: 'w1', assignmentId: 'as-1' })).resolves.toEqual({
      kind: 'ours',
    });
  });

  it('answers a second claim with the first placement: unconfirmed, then placed once confirmed', async () => {
    const fence = await open();
    await fence.claim({ ...key('b'), workerId: 'w1', assignmentId: 'as-b1' });
    await expect(fence.claim({ ...key('b'), workerId: 'w2', assignmentId: 'as-b2' })).resolves.toEqual({
      kind: 'unconfirmed',
      workerId: 'w1',
      assignmentId: 'as-b1',
    });
    await fence.confirm(key('b'));
    await expect(fence.claim({ ...key('b'), workerId: 'w3', assignmentId: 'as-b3' })).resolves.toEqual({
      kind: 'placed',
      workerId: 'w1',
      assignmentId: 'as-b1',
    });
  });

  it('remembers across instances and restarts: a fresh instance finds what another placed', async () => {
    const first = await open();
    await first.claim({ ...key('c'), workerId: 'w1', assignmentId: 'as-c1' });
    await first.confirm(key('c'));
    await first.close();
    const restarted = await open();
    await expect(
      restarted.claim({ ...key('c'), workerId: 'w9', assignmentId: 'as-c9' }),
    ).resolves.toMatchObject({
      kind: 'placed',
      assignmentId: 'as-c1',
    });
  });

  it('keeps every part of the identity apart: run, attempt, round and namespace', async () => {
    const fence = await open();
    const other = await open('another-installation');
    await fence.claim({ ...key('d'), workerId: 'w1', assignmentId: 'as-d' });
    const distinct = [
      fence.claim({ ...key('d', { run: 2 }), workerId: 'w1', assignmentId: 'as-d-run2' }),
      fence.claim({ ...key('d', { attempt: 2 }), workerId: 'w1', assignmentId: 'as-d-attempt2' }),
      fence.claim({ ...key('d', { round: 2 }), workerId: 'w1', assignmentId: 'as-d-round2' }),
      other.claim({ ...key('d'), workerId: 'w1', assignmentId: 'as-d-other' }),
    ];
    for (const outcome of await Promise.all(distinct)) expect(outcome).toEqual({ kind: 'ours' });
  });

  it('lets exactly one of many concurrent claims of one attempt through, from several instances', async () => {
    const instances = [await open(), await open(), await open()];
    const claims = Array.from({ length: 30 }, (_, i) =>
      (instances[i % 3] as PlacementFence).claim({
        ...key('e'),
        workerId: `w${i}`,
        assignmentId: `as-e${i}`,
      }),
    );
    const outcomes = await Promise.all(claims);
    const ours = outcomes.filter((outcome) => outcome.kind === 'ours');
    expect(ours).toHaveLength(1);
    const winner = outcomes.indexOf(ours[0] as (typeof outcomes)[number]);
    for (const outcome of outcomes.filter((o) => o.kind !== 'ours')) {
      expect(outcome).toEqual({ kind: 'unconfirmed', workerId: `w${winner}`, assignmentId: `as-e${winner}` });
    }
  });

  it('lets one claim through when claims of one attempt come in successive batches that overlap', async () => {
    const fence = await open();
    const claims: Array<Promise<ClaimOutcome>> = [];
    for (let i = 0; i < 12; i += 1) {
      claims.push(fence.claim({ ...key('g'), workerId: `w${i}`, assignmentId: `as-g${i}` }));
      // A tick apart: each claim starts a batch of its own while the ones before still run.
      await setImmediate();
    }
    const outcomes = await Promise.all(claims);
    expect(outcomes.filter((outcome) => outcome.kind === 'ours')).toHaveLength(1);
    const winner = outcomes.findIndex((outcome) => outcome.kind === 'ours');
    for (const outcome of outcomes.filter((o) => o.kind !== 'ours')) {
      expect(outcome).toMatchObject({ workerId: `w${winner}`, assignmentId: `as-g${winner}` });
    }
  });

  it('confirms a burst of placements together, each of them and nothing of another installation', async () => {
    const fence = await open();
    const other = await open('another-installation');
    const keys = Array.from({ length: 40 }, (_, i) => key(`h${i}`));
    await Promise.all(keys.map((k, i) => fence.claim({ ...k, workerId: 'w1', assignmentId: `as-h${i}` })));
    await other.claim({ ...key('h0'), workerId: 'w2', assignmentId: 'as-other-h0' });
    await Promise.all(keys.map((k) => fence.confirm(k)));
    const again = await Promise.all(
      keys.map((k) => fence.claim({ ...k, workerId: 'w9', assignmentId: `as-again-${k.taskId}` })),
    );
    again.forEach((outcome, i) =>
      expect(outcome).toEqual({ kind: 'placed', workerId: 'w1', assignmentId: `as-h${i}` }),
    );
    await expect(
      other.claim({ ...key('h0'), workerId: 'w3', assignmentId: 'as-other-again' }),
    ).resolves.toEqual({
      kind: 'unconfirmed',
      workerId: 'w2',
      assignmentId: 'as-other-h0',
    });
  });

  it('reads and confirms placements by primary key, however many the namespace holds', async () => {
    const fence = await open('many-placements');
    const keys = Array.from({ length: 300 }, (_, i) => key(`m${i}`, { experimentId: `exp-m${i % 30}` }));
    await Promise.all(keys.map((k, i) => fence.claim({ ...k, workerId: 'w1', assignmentId: `as-m${i}` })));
    const admin = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database });
    try {
      await admin.query('ANALYZE TABLE attempt_placements');
      // A lone key and a group, in the UPDATE of a confirm and the SELECT of a claim: the rows the
      // plan reads are the keys', not the namespace's 300.
      const plans: { statement: string; keys: number; rows: number }[] = [];
      for (const asked of [keys.slice(7, 8), keys.slice(40, 43)]) {
        const where = placementsWhere('many-placements', asked);
        for (const statement of [
          `UPDATE attempt_placements SET confirmed = TRUE WHERE ${where.sql}`,
          `SELECT worker_id FROM attempt_placements WHERE ${where.sql}`,
        ]) {
          const [plan] = await admin.query<RowDataPacket[]>(`EXPLAIN ${statement}`, where.values);
          plans.push({ statement, keys: asked.length, rows: Number(plan[0]?.['rows']) });
        }
      }
      expect(plans).toHaveLength(4);
      expect(plans.filter((plan) => !(plan.rows <= plan.keys))).toEqual([]);
    } finally {
      await admin.end();
    }
  });

  it('refuses claims once closed, retryably, so the request goes back to its queue', async () => {
    const fence = await open();
    await fence.close();
    await expect(fence.claim({ ...key('f'), workerId: 'w1', assignmentId: 'as-f' })).rejects.toMatchObject({
      code: 'PLACEMENT_FENCE_UNAVAILABLE',
      retryable: true,
    });
  });
});

import { createLogger } from '@wlm/commons/logging';
import { ExperimentConflictError, MysqlStateStore, StoreInputError } from '@wlm/orchestrator';
import type { CreateOutcome } from '@wlm/orchestrator';
import { newExperiment } from './support/store-fixtures';
import { testDatabase } from './support/test-database';
import { storeForFile } from './support/store-for-file';

const logger = createLogger({ component: 'test', level: 'silent', pretty: false });
const db = testDatabase('bulk');
let store: MysqlStateStore;

storeForFile(
  () => MysqlStateStore.open({ url: db.url, logger }),
  () => db.drop(),
  (opened) => (store = opened),
);

function createdId(outcome: CreateOutcome | undefined): string {
  if (outcome?.ok !== true) throw new Error(`not created: ${String(outcome?.error)}`);
  return outcome.result.experiment.id;
}

describe('createExperiments', () => {
  it('creates many in one call, each PENDING, registered and audited once', async () => {
    const inputs = Array.from({ length: 600 }, (_, i) =>
      newExperiment({ idempotencyKey: `many-${i}`, inputs: { i } }),
    );
    const outcomes = await store.createExperiments(inputs);
    expect(outcomes.every((outcome) => outcome.ok && outcome.result.created)).toBe(true);
    const ids = outcomes.map(createdId);
    expect(new Set(ids).size).toBe(600);
    expect(await db.count('experiments', "idempotency_key LIKE 'many-%' AND state = 'PENDING'")).toBe(600);
    const [row] = await db.rows(
      `SELECT COUNT(*) AS n FROM \`${db.name}\`.running_experiments r
         JOIN \`${db.name}\`.experiments e ON e.id = r.experiment_id WHERE e.idempotency_key LIKE 'many-%'`,
    );
    expect(Number(row?.['n'])).toBe(600);
    expect(
      await db.count('audit_events', "type = 'experiment.created' AND experiment_id IN (?)", [ids]),
    ).toBe(600);
    const fetched = await store.getExperiments([ids[0] ?? '', ids[599] ?? '', 'no-such-experiment']);
    expect([...fetched.keys()].sort()).toEqual([ids[0], ids[599]].sort());
    expect(fetched.get(ids[599] ?? '')?.inputs).toEqual({ i: 599 });
  });

  it('answers each item on its own: new, the same request again, a key reused differently, an invalid one', async () => {
    const [earlier] = await store.createExperiments([
      newExperiment({ idempotencyKey: 'mix-old', inputs: { a: 1 } }),
    ]);
    const outcomes = await store.createExperiments([
      newExperiment({ idempotencyKey: 'mix-new', inputs: { b: 1 } }),
      newExperiment({ idempotencyKey: 'mix-old', inputs: { a: 1 } }),
      newExperiment({ idempotencyKey: 'mix-old', inputs: { a: 2 } }),
      newExperiment({ idempotencyKey: 'mix-bad', priority: 300 }),
      newExperiment({ idempotencyKey: 'mix-twice', inputs: { c: 1 } }),
      newExperiment({ idempotencyKey: 'mix-twice', inputs: { c: 1 } }),
      newExperiment({ idempotencyKey: 'mix-twice', inputs: { c: 2 } }),
    ]);
    expect(outcomes.map((o) => (o.ok ? (o.result.created ? 'created' : 'existing') : o.error.name))).toEqual([
      'created',
      'existing',
      'ExperimentConflictError',
      'StoreInputError',
      'created',
      'existing',
      'ExperimentConflictError',
    ]);
    expect(outcomes[2]?.ok === false && outcomes[2].error).toBeInstanceOf(ExperimentConflictError);
    expect(outcomes[3]?.ok === false && outcomes[3].error).toBeInstanceOf(StoreInputError);
    expect(createdId(outcomes[1] ?? earlier)).toBe(createdId(earlier));
    expect(outcomes[5]?.ok === true && outcomes[5].result.experiment.id).toBe(createdId(outcomes[4]));
    expect(await db.count('experiments', "idempotency_key LIKE 'mix-%'")).toBe(3);
    expect(await db.count('experiments', "idempotency_key = 'mix-bad'")).toBe(0);
  });

  it('lets concurrent calls with the same keys create each experiment once', async () => {
    const inputs = Array.from({ length: 50 }, (_, i) =>
      newExperiment({ idempotencyKey: `race-${i}`, inputs: { i } }),
    );
    const calls = await Promise.all(Array.from({ length: 4 }, () => store.createExperiments(inputs)));
    for (let i = 0; i < 50; i += 1) {
      const answers = calls.map((outcomes) => outcomes[i]);
      expect(answers.filter((o) => o?.ok === true && o.result.created)).toHaveLength(1);
      expect(new Set(answers.map(createdId)).size).toBe(1);
    }
    expect(await db.count('experiments', "idempotency_key LIKE 'race-%'")).toBe(50);
  });
});

describe('transitionExperiments', () => {
  it('moves those in an expected state, once, with their audit events and registry entries', async () => {
    const ids = (await store.createExperiments(Array.from({ length: 5 }, () => newExperiment()))).map(
      createdId,
    );
    const [cancelled = ''] = ids;
    await store.transitionExperiment(cancelled, ['PENDING'], 'CANCELLED', { actor: 'api:test' });
    const first = await store.transitionExperiments([...ids, 'no-such-experiment'], ['PENDING'], 'RUNNING', {
      actor: 'engine',
    });
    expect(ids.map((id) => [first.get(id)?.changed, first.get(id)?.experiment?.state])).toEqual([
      [false, 'CANCELLED'],
      ...ids.slice(1).map(() => [true, 'RUNNING']),
    ]);
    expect(first.get('no-such-experiment')).toEqual({ changed: false, experiment: undefined });
    expect(first.get(ids[1] ?? '')?.experiment?.startedAt).toBeInstanceOf(Date);
    const again = await store.transitionExperiments(ids, ['PENDING'], 'RUNNING', { actor: 'engine' });
    expect([...again.values()].some((result) => result.changed)).toBe(false);
    const running = new Set((await store.listRunning()).map((entry) => entry.experimentId));
    expect(ids.map((id) => running.has(id))).toEqual([false, true, true, true, true]);
    const ended = await store.transitionExperiments(ids, ['RUNNING'], 'COMPLETED', { actor: 'engine' });
    expect([...ended.values()].filter((result) => result.changed)).toHaveLength(4);
    const after = new Set((await store.listRunning()).map((entry) => entry.experimentId));
    expect(ids.some((id) => after.has(id))).toBe(false);
    expect(
      await db.count(
        'audit_events',
        `type = 'experiment.transitioned' AND experiment_id IN (?, ?, ?, ?, ?)`,
        ids,
      ),
    ).toBe(1 + 4 + 4);
  });

  it('refuses a transition outside the state machine before touching anything', async () => {
    const ids = (await store.createExperiments([newExperiment()])).map(createdId);
    await expect(
      store.transitionExperiments(ids, ['PENDING'], 'COMPLETED', { actor: 'engine' }),
    ).rejects.toBeInstanceOf(StoreInputError);
    expect((await store.getExperiment(ids[0] ?? ''))?.state).toBe('PENDING');
  });
});

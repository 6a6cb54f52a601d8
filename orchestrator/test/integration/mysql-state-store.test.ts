import { createLogger } from '@wlm/commons/logging';
import { ExperimentConflictError, MigrationError, MysqlStateStore, StoreInputError } from '@wlm/orchestrator';
import { newExperiment, runningExperiment, withoutAuditTable } from './support/store-fixtures';
import { testDatabase } from './support/test-database';
import { storeForFile } from './support/store-for-file';

const logger = createLogger({ component: 'test', level: 'silent', pretty: false });
const db = testDatabase('store');
let store: MysqlStateStore;

storeForFile(
  () => MysqlStateStore.open({ url: db.url, logger }),
  () => db.drop(),
  (opened) => (store = opened),
);

describe('migrations', () => {
  it('creates the database and applies each migration exactly once', async () => {
    expect(store.appliedMigrations).toEqual([1, 2]);
    expect(await db.count('schema_migrations')).toBe(2);
    const tables = await db.rows(
      'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
      [db.name],
    );
    expect(tables.map((row) => row['name']).sort()).toEqual([
      'audit_events',
      'experiments',
      'leadership',
      'running_experiments',
      'schema_migrations',
      'task_reports',
      'task_runs',
    ]);
  });

  it('is idempotent when run again, and when two orchestrators start together on a new database', async () => {
    const again = await MysqlStateStore.open({ url: db.url, logger });
    await again.close();
    expect(again.appliedMigrations).toEqual([]);

    const fresh = testDatabase('store_race');
    try {
      const stores = await Promise.all([
        MysqlStateStore.open({ url: fresh.url, logger }),
        MysqlStateStore.open({ url: fresh.url, logger }),
      ]);
      await Promise.all(stores.map((each) => each.close()));
      expect(stores.map((each) => each.appliedMigrations).sort()).toEqual([[], [1, 2]]);
      const rows = await fresh.rows(`SELECT version FROM \`${fresh.name}\`.schema_migrations`);
      expect(rows.map((row) => row['version'])).toEqual([1, 2]);
    } finally {
      await fresh.drop();
    }
  });

  it('refuses to start on a database whose applied migration was edited', async () => {
    const [row] = await db.rows(`SELECT checksum FROM \`${db.name}\`.schema_migrations WHERE version = 1`);
    await db.rows(`UPDATE \`${db.name}\`.schema_migrations SET checksum = 'edited' WHERE version = 1`);
    try {
      await expect(MysqlStateStore.open({ url: db.url, logger })).rejects.toBeInstanceOf(MigrationError);
    } finally {
      await db.rows(`UPDATE \`${db.name}\`.schema_migrations SET checksum = ? WHERE version = 1`, [
        row?.['checksum'],
      ]);
    }
  });
});

describe('experiments', () => {
  it('creates a PENDING experiment, registers it as running and audits it', async () => {
    const { experiment, created } = await store.createExperiment(
      newExperiment({ inputs: { n: 1, list: [1, 'a'] } }),
    );
    expect(created).toBe(true);
    expect(experiment).toMatchObject({
      state: 'PENDING',
      run: 1,
      inputs: { n: 1, list: [1, 'a'] },
      startedAt: null,
    });
    expect(experiment.createdAt).toBeInstanceOf(Date);
    expect(await store.getExperiment(experiment.id)).toEqual(experiment);
    expect((await store.listRunning()).map((entry) => entry.experimentId)).toContain(experiment.id);
    const audit = await store.listAuditEvents(experiment.id);
    expect(audit.items).toMatchObject([
      { type: 'experiment.created', toState: 'PENDING', actor: 'api:test' },
    ]);
  });

  it('returns the existing experiment for a repeated idempotency key, even under concurrency', async () => {
    const request = newExperiment({ idempotencyKey: `key-${Date.now()}` });
    const results = await Promise.all(Array.from({ length: 6 }, () => store.createExperiment(request)));
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(results.map((result) => result.experiment.id)).size).toBe(1);
    const id = results[0]?.experiment.id ?? '';
    expect(await db.count('experiments', 'idempotency_key = ?', [request.idempotencyKey])).toBe(1);
    expect((await store.listAuditEvents(id)).items).toHaveLength(1);
  });

  it('rejects an idempotency key reused for a different request', async () => {
    const key = `conflict-${Date.now()}`;
    await store.createExperiment(newExperiment({ idempotencyKey: key, inputs: { a: 1 } }));
    await expect(
      store.createExperiment(newExperiment({ idempotencyKey: key, inputs: { a: 2 } })),
    ).rejects.toBeInstanceOf(ExperimentConflictError);
  });

  it('returns undefined for an unknown experiment', async () => {
    expect(await store.getExperiment('no-such-experiment')).toBeUndefined();
  });

  it('lists newest first, filters by state and type, and pages without gaps or repeats', async () => {
    const type = `paging-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1)
      ids.push((await store.createExperiment(newExperiment({ type }))).experiment.id);
    await store.transitionExperiment(ids[0] ?? '', ['PENDING'], 'RUNNING', { actor: 'engine' });

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listExperiments({ type, limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((experiment) => experiment.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    // Newest first; experiments created within the same millisecond are ordered by id.
    expect([...seen].sort()).toEqual([...ids].sort());
    const listed = await Promise.all(seen.map((id) => store.getExperiment(id)));
    const times = listed.map((experiment) => experiment?.createdAt.getTime() ?? 0);
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const running = await store.listExperiments({ type, state: 'RUNNING' });
    expect(running.items.map((experiment) => experiment.id)).toEqual([ids[0]]);
    expect(running.nextCursor).toBeNull();
    await expect(store.listExperiments({ cursor: 'garbage' })).rejects.toBeInstanceOf(StoreInputError);
  });
});

describe('transitions', () => {
  it('changes state only from the expected states, once, with the audit event', async () => {
    const { experiment } = await store.createExperiment(newExperiment());
    const first = await store.transitionExperiment(experiment.id, ['PENDING'], 'RUNNING', {
      actor: 'engine',
      reason: 'dag instantiated',
    });
    expect(first.changed).toBe(true);
    expect(first.experiment).toMatchObject({ state: 'RUNNING', endedAt: null });
    expect(first.experiment?.startedAt).toBeInstanceOf(Date);

    const repeated = await store.transitionExperiment(experiment.id, ['PENDING'], 'RUNNING', {
      actor: 'engine',
    });
    expect(repeated).toMatchObject({ changed: false, experiment: { state: 'RUNNING' } });

    const audit = await store.listAuditEvents(experiment.id);
    expect(
      audit.items.map((event) => [event.type, event.fromState, event.toState, event.actor, event.reason]),
    ).toEqual([
      ['experiment.created', null, 'PENDING', 'api:test', null],
      ['experiment.transitioned', 'PENDING', 'RUNNING', 'engine', 'dag instantiated'],
    ]);
  });

  it('lets exactly one of many concurrent transitions win', async () => {
    const { experiment } = await store.createExperiment(newExperiment());
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.transitionExperiment(
          experiment.id,
          ['PENDING', 'RUNNING'],
          i % 2 === 0 ? 'CANCELLED' : 'FAILED',
          {
            actor: `racer-${i}`,
          },
        ),
      ),
    );
    expect(results.filter((result) => result.changed)).toHaveLength(1);
    expect(
      await db.count('audit_events', "experiment_id = ? AND type = 'experiment.transitioned'", [
        experiment.id,
      ]),
    ).toBe(1);
  });

  it('stamps the end, keeps a failure reason and leaves the registry on a terminal state', async () => {
    const id = await runningExperiment(store);
    const { experiment } = await store.transitionExperiment(id, ['RUNNING'], 'FAILED', {
      actor: 'engine',
      reason: 'task b failed 3 times',
    });
    expect(experiment).toMatchObject({ state: 'FAILED', failureReason: 'task b failed 3 times' });
    expect(experiment?.endedAt).toBeInstanceOf(Date);
    expect((await store.listRunning()).map((entry) => entry.experimentId)).not.toContain(id);

    const resumed = await store.transitionExperiment(id, ['FAILED'], 'RUNNING', { actor: 'api:test' });
    expect(resumed.experiment).toMatchObject({ state: 'RUNNING', failureReason: null, endedAt: null });
    expect(resumed.experiment?.startedAt).toEqual(experiment?.startedAt);
    expect((await store.listRunning()).map((entry) => entry.experimentId)).toContain(id);
  });

  it('rejects a transition that is not in the state machine', async () => {
    const { experiment } = await store.createExperiment(newExperiment());
    await expect(
      store.transitionExperiment(experiment.id, ['PENDING'], 'COMPLETED', { actor: 'engine' }),
    ).rejects.toBeInstanceOf(StoreInputError);
  });

  it('writes state, registry and audit in one transaction: if the audit fails, nothing changes', async () => {
    const id = await runningExperiment(store);
    await withoutAuditTable(db, () =>
      store.transitionExperiment(id, ['RUNNING'], 'COMPLETED', { actor: 'engine' }),
    );
    expect((await store.getExperiment(id))?.state).toBe('RUNNING');
    expect((await store.listRunning()).map((entry) => entry.experimentId)).toContain(id);
  });

  it('reruns a finished experiment as a new run, once per expected run', async () => {
    const id = await runningExperiment(store);
    await store.recordTaskRuns({
      taskRuns: [{ experimentId: id, run: 1, taskId: 'a', attempt: 1, state: 'COMPLETED' }],
    });
    await store.transitionExperiment(id, ['RUNNING'], 'COMPLETED', { actor: 'engine' });

    const rerun = await store.rerunExperiment(id, { actor: 'api:test', expectedRun: 1 });
    expect(rerun).toMatchObject({
      changed: true,
      experiment: { run: 2, state: 'PENDING', startedAt: null, endedAt: null },
    });
    const repeated = await store.rerunExperiment(id, { actor: 'api:test', expectedRun: 1 });
    expect(repeated).toMatchObject({ changed: false, experiment: { run: 2 } });
    expect((await store.listRunning()).map((entry) => entry.experimentId)).toContain(id);
    expect(await store.listTaskRuns(id, { run: 1 })).toHaveLength(1);
    expect(await store.listTaskRuns(id, { run: 2 })).toHaveLength(0);
  });
});

describe('running registry', () => {
  it('adds and removes idempotently, keeping the first registration time', async () => {
    const id = `manual-${Date.now()}`;
    await store.addRunning(id);
    const [first] = (await store.listRunning()).filter((entry) => entry.experimentId === id);
    await store.addRunning(id);
    const again = (await store.listRunning()).filter((entry) => entry.experimentId === id);
    expect(again).toEqual([first]);
    await store.removeRunning(id);
    await store.removeRunning(id);
    expect((await store.listRunning()).some((entry) => entry.experimentId === id)).toBe(false);
  });
});

describe('lifecycle', () => {
  it('closes idempotently and refuses work afterwards', async () => {
    const other = await MysqlStateStore.open({ url: db.url, logger });
    await Promise.all([other.close(), other.close()]);
    await expect(other.getExperiment('x')).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
  });
});

import { createLogger } from '@wlm/commons/logging';
import { MysqlStateStore } from '@wlm/orchestrator';
import type { AuditEventInput, TaskRunUpdate } from '@wlm/orchestrator';
import { runningExperiment, withoutAuditTable } from './support/store-fixtures';
import { testDatabase } from './support/test-database';
import { storeForFile } from './support/store-for-file';

/** Task runs and the audit trail of MysqlStateStore: the batched, idempotent, forward-only writes. */
const logger = createLogger({ component: 'test', level: 'silent', pretty: false });
const db = testDatabase('task_runs');
let store: MysqlStateStore;

storeForFile(
  () => MysqlStateStore.open({ url: db.url, logger }),
  () => db.drop(),
  (opened) => (store = opened),
);

describe('task runs', () => {
  function update(
    id: string,
    taskId: string,
    state: TaskRunUpdate['state'],
    extra: Partial<TaskRunUpdate> = {},
  ): TaskRunUpdate {
    return { experimentId: id, run: 1, taskId, attempt: 1, state, ...extra };
  }
  function audit(id: string, run: TaskRunUpdate): AuditEventInput {
    return {
      experimentId: id,
      taskId: run.taskId,
      type: 'task.transitioned',
      toState: run.state,
      actor: 'engine',
      dedupeKey: `task:${id}:${run.run}:${run.taskId}:${run.attempt}:${run.state}`,
    };
  }

  it('writes a large batch in one call, and the same batch again changes nothing', async () => {
    const id = await runningExperiment(store);
    const taskRuns = Array.from({ length: 1200 }, (_, i) =>
      update(id, `t${String(i).padStart(4, '0')}`, 'COMPLETED', { workerId: 'w1', outputs: { i } }),
    );
    const batch = { taskRuns, auditEvents: taskRuns.map((run) => audit(id, run)) };
    await store.recordTaskRuns(batch);
    const before = await store.listTaskRuns(id);
    await store.recordTaskRuns(batch);
    expect(before).toHaveLength(1200);
    expect(before[7]).toMatchObject({
      taskId: 't0007',
      state: 'COMPLETED',
      workerId: 'w1',
      outputs: { i: 7 },
    });
    expect(await store.listTaskRuns(id)).toEqual(before);
    expect(await db.count('audit_events', "experiment_id = ? AND type = 'task.transitioned'", [id])).toBe(
      1200,
    );
  });

  it('only moves forward: late and out-of-order events never undo a terminal state', async () => {
    const id = await runningExperiment(store);
    const startedAt = new Date('2030-01-02T03:04:05.678Z');
    await store.recordTaskRuns({ taskRuns: [update(id, 'a', 'COMPLETED', { outputs: { ok: true } })] });
    // The RUNNING event arrives after COMPLETED; in one batch, QUEUED → RUNNING → FAILED race for task b.
    await store.recordTaskRuns({
      taskRuns: [
        update(id, 'a', 'RUNNING', { workerId: 'w7', startedAt, reason: 'late' }),
        update(id, 'b', 'RUNNING', { workerId: 'w8' }),
        update(id, 'b', 'QUEUED'),
        update(id, 'b', 'FAILED', { reason: 'exit 7' }),
        update(id, 'b', 'COMPLETED', { outputs: { ignored: true } }),
      ],
    });
    const runs = await store.listTaskRuns(id);
    expect(runs).toMatchObject([
      { taskId: 'a', state: 'COMPLETED', outputs: { ok: true }, reason: null, workerId: 'w7', startedAt },
      { taskId: 'b', state: 'FAILED', reason: 'exit 7', outputs: null, workerId: 'w8' },
    ]);
    expect(runs[0]?.endedAt).toBeInstanceOf(Date);
    expect(runs[1]?.startedAt).toBeInstanceOf(Date);
  });

  it('keeps attempts and runs apart', async () => {
    const id = await runningExperiment(store);
    await store.recordTaskRuns({
      taskRuns: [
        update(id, 'a', 'FAILED', { reason: 'boom', workerId: 'w1' }),
        update(id, 'a', 'COMPLETED', { attempt: 2, workerId: 'w2' }),
        update(id, 'a', 'RUNNING', { run: 2 }),
      ],
    });
    const runs = await store.listTaskRuns(id);
    expect(runs.map((run) => [run.run, run.attempt, run.state, run.workerId])).toEqual([
      [1, 1, 'FAILED', 'w1'],
      [1, 2, 'COMPLETED', 'w2'],
      [2, 1, 'RUNNING', null],
    ]);
  });

  it('converges under concurrent batches that touch the same rows in different orders', async () => {
    const id = await runningExperiment(store);
    const tasks = Array.from({ length: 50 }, (_, i) => `t${i}`);
    const batches = Array.from({ length: 8 }, (_, b) => {
      const order = b % 2 === 0 ? tasks : [...tasks].reverse();
      return { taskRuns: order.map((task) => update(id, task, b === 5 ? 'COMPLETED' : 'RUNNING')) };
    });
    await Promise.all(batches.map((batch) => store.recordTaskRuns(batch)));
    const runs = await store.listTaskRuns(id);
    expect(runs).toHaveLength(50);
    expect(runs.every((run) => run.state === 'COMPLETED')).toBe(true);
  });

  it('rejects a batch with one bad event before writing any of it', async () => {
    const id = await runningExperiment(store);
    await expect(
      store.recordTaskRuns({
        taskRuns: [update(id, 'ok', 'RUNNING'), update(id, 'bad', 'RUNNING', { attempt: 0 })],
      }),
    ).rejects.toMatchObject({ code: 'STORE_INPUT_INVALID', field: 'taskRuns[1].attempt' });
    expect(await store.listTaskRuns(id)).toEqual([]);
  });

  it('writes task runs and audit events in one transaction', async () => {
    const id = await runningExperiment(store);
    const run = update(id, 'a', 'RUNNING');
    await withoutAuditTable(db, () =>
      store.recordTaskRuns({ taskRuns: [run], auditEvents: [audit(id, run)] }),
    );
    expect(await store.listTaskRuns(id)).toEqual([]);
  });
});

describe('audit trail', () => {
  it('pages in insertion order', async () => {
    const id = await runningExperiment(store);
    const events = Array.from({ length: 5 }, (_, i): AuditEventInput => ({
      experimentId: id,
      type: 'experiment.cancel-requested',
      actor: `user-${i}`,
      details: { i },
    }));
    await store.recordTaskRuns({ auditEvents: events });
    const first = await store.listAuditEvents(id, { limit: 4 });
    const second = await store.listAuditEvents(id, { limit: 4, cursor: first.nextCursor ?? '' });
    expect(second.nextCursor).toBeNull();
    const all = [...first.items, ...second.items];
    expect(all.map((event) => event.type)).toEqual([
      'experiment.created',
      'experiment.transitioned',
      ...events.map(() => 'experiment.cancel-requested'),
    ]);
    expect(all.map((event) => event.id)).toEqual([...all.map((event) => event.id)].sort((a, b) => a - b));
    expect(all[6]).toMatchObject({ actor: 'user-4', details: { i: 4 }, taskId: null });
  });
});

import { renderParams } from '@wlm/commons/dag';
import type { DagDefinition } from '@wlm/commons/dag';
import type { Neo4jDagStore, ReadyTask, TaskCompletion, TaskStateChange } from '@wlm/orchestrator';
import { diamond, graphStoreForFile, wide } from './neo4j-test-graph';

/** Neo4jDagStore execution state against the real Neo4j: ready sets, batches, forward-only states, recovery. */
let store: Neo4jDagStore;
const graph = graphStoreForFile((opened) => (store = opened));

/** Puts `definition` and instantiates run 1 of a fresh experiment from it; returns the experiment id. */
async function experiment(definition: DagDefinition, inputs = { msg: 'hi' }): Promise<string> {
  const master = await store.putMasterDag(definition);
  const experimentId = graph.experimentId();
  await store.instantiate({
    experimentId,
    run: 1,
    experimentType: master.experimentType,
    version: master.version,
    inputs,
  });
  return experimentId;
}

const ids = (tasks: readonly ReadyTask[]) => tasks.map((task) => task.taskId);

function done(experimentId: string, taskId: string, outputs = {}, attempt = 1): TaskCompletion {
  return { experimentId, run: 1, taskId, attempt, outputs };
}

function state(
  experimentId: string,
  taskId: string,
  to: TaskStateChange['state'],
  attempt = 1,
): TaskStateChange {
  return { experimentId, run: 1, taskId, state: to, attempt };
}

async function nodeStates(experimentId: string): Promise<Record<string, string>> {
  const dag = await store.getConcreteDag(experimentId, 1);
  return Object.fromEntries(
    (dag?.tasks ?? []).map((task) => [task.taskId, `${task.state}/${task.attempt}/${task.isExecuted}`]),
  );
}

describe('ready sets', () => {
  it('walks a diamond: fan-out after a, fan-in only once both b and c are executed', async () => {
    const id = await experiment(diamond(graph.type('diamond')));
    expect(ids(await store.readyTasks(id, 1))).toEqual(['a']);

    expect(await store.markExecuted([done(id, 'a', { message: 'hi' })])).toEqual([
      { experimentId: id, run: 1, taskId: 'a' },
    ]);
    expect(ids(await store.readyDependents(id, 1, ['a']))).toEqual(['b', 'c']);
    expect(ids(await store.readyTasks(id, 1))).toEqual(['b', 'c']);

    await store.setTaskStates([state(id, 'b', 'QUEUED'), state(id, 'c', 'RUNNING')]);
    expect(await store.readyTasks(id, 1)).toEqual([]);

    await store.markExecuted([done(id, 'b', { from: 'hi' })]);
    expect(await store.readyDependents(id, 1, ['b'])).toEqual([]); // d still waits for c
    await store.markExecuted([done(id, 'c', { n: 3 })]);
    const [d] = await store.readyDependents(id, 1, ['c']);
    expect(d).toMatchObject({ taskId: 'd', state: 'PENDING', attempt: 0, taskType: 'echo' });
    expect(d?.upstreamOutputs).toEqual({ b: { from: 'hi' }, c: { n: 3 } });
    expect(d?.context.constraints).toEqual({ labels: { site: 'local' } });

    await store.markExecuted([done(id, 'd')]);
    expect(await store.readyTasks(id, 1)).toEqual([]);
    expect(Object.values(await nodeStates(id))).toEqual([
      'COMPLETED/1/true',
      'COMPLETED/1/true',
      'COMPLETED/1/true',
      'COMPLETED/1/true',
    ]);
  });

  it('carries the outputs of direct predecessors and of upstream tasks the params name', async () => {
    const id = await experiment({
      type: graph.type('chain'),
      tasks: [
        { id: 'a', type: 'echo' },
        { id: 'b', type: 'echo', after: ['a'] },
        {
          id: 'c',
          type: 'echo',
          after: ['b'],
          params: { text: '{{inputs.msg}} {{tasks.a.outputs.word}}', count: '{{tasks.b.outputs.n}}' },
        },
      ],
    });
    await store.markExecuted([done(id, 'a', { word: 'world' })]);
    await store.markExecuted([done(id, 'b', { n: 2 })]);
    const [c] = await store.readyTasks(id, 1);
    expect(c?.upstreamOutputs).toEqual({ a: { word: 'world' }, b: { n: 2 } });
    // What the engine does with it:
    const tasks = Object.fromEntries(
      Object.entries(c?.upstreamOutputs ?? {}).map(([taskId, outputs]) => [taskId, { outputs }]),
    );
    expect(renderParams(c?.context.params ?? {}, { inputs: c?.context.inputs ?? {}, tasks })).toEqual({
      text: 'hi world',
      count: 2,
    });
  });

  it('ignores unknown and unexecuted ids in readyDependents', async () => {
    const id = await experiment(diamond(graph.type('dependents')));
    expect(await store.readyDependents(id, 1, ['a', 'nope'])).toEqual([]); // a is not executed yet
    expect(await store.readyDependents(id, 1, [])).toEqual([]);
    expect(await store.readyTasks(graph.experimentId('missing'), 1)).toEqual([]);
  });
});

describe('markExecuted', () => {
  it('is idempotent: the first completion wins, a repeat or a duplicate in a batch changes nothing', async () => {
    const id = await experiment(diamond(graph.type('idempotent')));
    const first = await store.markExecuted([done(id, 'a', { v: 1 }), done(id, 'a', { v: 2 }, 2)]);
    expect(first).toHaveLength(1);
    expect(await store.markExecuted([done(id, 'a', { v: 3 }, 3)])).toEqual([]);
    const dag = await store.getConcreteDag(id, 1);
    expect(dag?.tasks[0]).toMatchObject({ taskId: 'a', isExecuted: true, state: 'COMPLETED', attempt: 1 });
    expect(dag?.tasks[0]?.outputs).toEqual({ v: 1 });
  });

  it('lets exactly one of many concurrent completions of a task through', async () => {
    const id = await experiment(diamond(graph.type('racing')));
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.markExecuted([done(id, 'a', { winner: i })])),
    );
    const winners = results.flatMap((keys, i) => (keys.length > 0 ? [i] : []));
    expect(winners).toHaveLength(1);
    expect((await store.getConcreteDag(id, 1))?.tasks[0]?.outputs).toEqual({ winner: winners[0] });
  });

  it('writes a batch of 500 in one call: 500-way fan-out, then 500-way fan-in', async () => {
    const id = await experiment(wide(graph.type('wide'), 500));
    await store.markExecuted([done(id, 'root')]);
    const middle = await store.readyDependents(id, 1, ['root']);
    expect(middle).toHaveLength(500);

    const batch = middle.map((task) => done(id, task.taskId, { i: task.taskId }));
    expect(await store.markExecuted(batch.slice(0, 499))).toHaveLength(499);
    expect(await store.readyDependents(id, 1, ids(middle))).toEqual([]); // join waits for w499
    expect(await store.markExecuted(batch)).toHaveLength(1); // the 499 are already executed
    const [join] = await store.readyDependents(id, 1, ids(middle));
    expect(join?.taskId).toBe('join');
    expect(Object.keys(join?.upstreamOutputs ?? {})).toHaveLength(500);
    expect(join?.upstreamOutputs['w123']).toEqual({ i: 'w123' });
    expect(await store.markExecuted(batch)).toEqual([]);
  });

  it('rejects a batch with one bad completion before writing any of it', async () => {
    const id = await experiment(diamond(graph.type('bad-batch')));
    await expect(store.markExecuted([done(id, 'a'), done(id, 'b', {}, 0)])).rejects.toMatchObject({
      code: 'STORE_INPUT_INVALID',
      field: 'completions[1].attempt',
    });
    expect(ids(await store.readyTasks(id, 1))).toEqual(['a']);
  });
});

describe('setTaskStates', () => {
  it('only moves forward: by rank within an attempt, to any state for a later attempt', async () => {
    const id = await experiment(diamond(graph.type('forward')));
    await store.setTaskStates([state(id, 'a', 'RUNNING'), state(id, 'b', 'FAILED')]);
    // Late and out-of-order events: none moves a node back.
    expect(await store.setTaskStates([state(id, 'a', 'QUEUED'), state(id, 'b', 'RUNNING')])).toEqual([]);
    expect(await nodeStates(id)).toMatchObject({ a: 'RUNNING/1/false', b: 'FAILED/1/false' });

    // The scheduler retried b: attempt 2 starts over; attempt 1's late events stay ignored.
    await store.setTaskStates([state(id, 'b', 'QUEUED', 2)]);
    await store.setTaskStates([state(id, 'b', 'CANCELLED', 1), state(id, 'b', 'PENDING', 1)]);
    expect((await nodeStates(id))['b']).toBe('QUEUED/2/false');

    // In one batch, events for one node fold to what applying them in turn would leave.
    await store.setTaskStates([
      state(id, 'c', 'RUNNING'),
      state(id, 'c', 'QUEUED'),
      state(id, 'c', 'FAILED'),
    ]);
    expect((await nodeStates(id))['c']).toBe('FAILED/1/false');
  });

  it('never moves an executed node, and refuses COMPLETED (markExecuted records it)', async () => {
    const id = await experiment(diamond(graph.type('executed')));
    await store.markExecuted([done(id, 'a', { ok: true })]);
    expect(await store.setTaskStates([state(id, 'a', 'FAILED', 5), state(id, 'a', 'RUNNING', 9)])).toEqual(
      [],
    );
    expect((await nodeStates(id))['a']).toBe('COMPLETED/1/true');
    const completed = { ...state(id, 'b', 'RUNNING'), state: 'COMPLETED' } as unknown as TaskStateChange;
    await expect(store.setTaskStates([completed])).rejects.toMatchObject({ field: 'changes[0].state' });
  });

  it('makes a FAILED task ready again once its experiment is resumed', async () => {
    const id = await experiment(diamond(graph.type('resume')));
    await store.setTaskStates([state(id, 'a', 'QUEUED'), state(id, 'a', 'RUNNING')]);
    expect(await store.readyTasks(id, 1)).toEqual([]);
    await store.setTaskStates([state(id, 'a', 'FAILED', 3)]);
    expect(await store.readyTasks(id, 1)).toMatchObject([{ taskId: 'a', state: 'FAILED', attempt: 3 }]);
  });
});

describe('recordTaskEvents', () => {
  it('writes a batch of completions and state changes in one call, completions first', async () => {
    const id = await experiment(diamond(graph.type('events')));
    await store.setTaskStates([state(id, 'a', 'RUNNING')]);
    const { executed, changed } = await store.recordTaskEvents(
      [done(id, 'a', { ok: true })],
      // A late FAILED of a (executed in the same call: ignored), and b and c placed.
      [state(id, 'a', 'FAILED'), state(id, 'b', 'QUEUED'), state(id, 'c', 'RUNNING')],
    );
    expect(executed.map((key) => key.taskId)).toEqual(['a']);
    expect(changed.map((key) => key.taskId).sort()).toEqual(['b', 'c']);
    expect(await nodeStates(id)).toMatchObject({
      a: 'COMPLETED/1/true',
      b: 'QUEUED/1/false',
      c: 'RUNNING/1/false',
      d: 'PENDING/0/false',
    });
    // Redelivered: nothing changes, nothing is reported.
    const again = await store.recordTaskEvents([done(id, 'a', { ok: false })], [state(id, 'b', 'QUEUED')]);
    expect(again).toEqual({ executed: [], changed: [], ready: [] });
    expect(await store.readyDependents(id, 1, ['a'])).toEqual([]);
  });

  it('reads the dependents its completions made ready, for the runs of many experiments, seeing its own writes', async () => {
    const first = await experiment(diamond(graph.type('runs-1')));
    const second = await experiment(diamond(graph.type('runs-2')));
    const third = await experiment(diamond(graph.type('runs-3')));
    await store.markExecuted([done(second, 'b')]);
    const { ready } = await store.recordTaskEvents(
      [done(first, 'a'), done(second, 'a'), done(second, 'c', { n: 1 })],
      // Placed in the same call: no longer ready.
      [state(first, 'c', 'QUEUED')],
      [
        { experimentId: first, run: 1, completedTaskIds: ['a'] },
        // d waits for b (executed before) and c (executed by this call).
        { experimentId: second, run: 1, completedTaskIds: ['c'] },
        // Nothing executed there: no dependent is ready.
        { experimentId: third, run: 1, completedTaskIds: ['a'] },
      ],
    );
    expect(ready.map((task) => `${task.experimentId}/${task.taskId}`).sort()).toEqual(
      [`${first}/b`, `${second}/d`].sort(),
    );
    expect(ready.find((task) => task.experimentId === second)?.upstreamOutputs).toEqual({
      b: {},
      c: { n: 1 },
    });
    expect(await store.recordTaskEvents([], [], [])).toEqual({ executed: [], changed: [], ready: [] });
    await expect(
      store.recordTaskEvents([], [], [{ experimentId: first, run: 0, completedTaskIds: ['a'] }]),
    ).rejects.toMatchObject({ field: 'dependentsOf[0].run' });
  });

  it('rejects the whole call when one item is bad, writing none of it', async () => {
    const id = await experiment(diamond(graph.type('events-bad')));
    const completed = { ...state(id, 'b', 'RUNNING'), state: 'COMPLETED' } as unknown as TaskStateChange;
    await expect(store.recordTaskEvents([done(id, 'a')], [completed])).rejects.toMatchObject({
      field: 'changes[0].state',
    });
    expect((await nodeStates(id))['a']).toBe('PENDING/0/false');
  });
});

describe('recovery', () => {
  it('after a crash, resumes at the first incomplete tasks, in-flight ones included', async () => {
    const id = await experiment({
      type: graph.type('crash'),
      tasks: [
        { id: 'a', type: 'echo' },
        { id: 'b', type: 'echo', after: ['a'] },
        { id: 'c', type: 'echo', after: ['a'] },
        { id: 'd', type: 'echo', after: ['a'] },
        { id: 'e', type: 'echo', after: ['b', 'c', 'd'] },
      ],
    });
    await store.markExecuted([done(id, 'a', { x: 1 })]);
    await store.setTaskStates([state(id, 'b', 'QUEUED'), state(id, 'c', 'RUNNING', 2)]);
    await store.markExecuted([done(id, 'd', { y: 2 })]);

    // The orchestrator dies; a new one (a new store, a new driver) takes over.
    const restarted = await graph.openStore();
    try {
      expect(ids(await restarted.readyTasks(id, 1))).toEqual([]); // b and c look in flight
      const resumed = await restarted.firstIncompleteTasks(id, 1);
      expect(resumed.map((task) => [task.taskId, task.state, task.attempt])).toEqual([
        ['b', 'QUEUED', 1],
        ['c', 'RUNNING', 2],
      ]);
      expect(resumed[0]?.upstreamOutputs).toEqual({ a: { x: 1 } });
    } finally {
      await restarted.close();
    }
  });

  it('returns nothing for a run whose tasks are all executed', async () => {
    const id = await experiment(diamond(graph.type('finished')));
    for (const taskId of ['a', 'b', 'c', 'd']) await store.markExecuted([done(id, taskId)]);
    expect(await store.firstIncompleteTasks(id, 1)).toEqual([]);
  });
});

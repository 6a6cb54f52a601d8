import { ExperimentConflictError, StoreInputError } from '@wlm/orchestrator';
import type { InstantiateRequest, Neo4jDagStore } from '@wlm/orchestrator';
import { diamond, graphStoreForFile } from './neo4j-test-graph';

/** Neo4jDagStore's calls for many runs at once: instantiateMany (with its runs' ready tasks), firstIncompleteTasksOfRuns. */
let store: Neo4jDagStore;
const graph = graphStoreForFile((opened) => (store = opened));

describe('instantiateMany', () => {
  it('creates every run of the call, each as instantiate would, across several transactions', async () => {
    const master = await store.putMasterDag(diamond(graph.type('many')));
    // 1,200 runs of 4 nodes: more than one transaction's worth (about 4,000 nodes each).
    const requests: InstantiateRequest[] = Array.from({ length: 1200 }, (_, i) => ({
      experimentId: graph.experimentId(`many${i}`),
      run: 1,
      experimentType: master.experimentType,
      version: master.version,
      inputs: { msg: `m${i}` },
    }));
    const outcomes = await store.instantiateMany(requests);
    expect(outcomes.every((o) => o.ok && o.result.created && o.result.taskCount === 4)).toBe(true);
    const ids = requests.map((r) => r.experimentId);
    // Sought by the unique key's prefix (see schema.ts), not by scanning every Task of the database.
    const [counts] = await graph.rows(
      'UNWIND $ids AS id MATCH (t:Task) WHERE t.experimentId = id AND t.run IS NOT NULL AND ' +
        't.taskId IS NOT NULL RETURN count(t) AS tasks, sum(COUNT { (t)-[:NEXT]->() }) AS edges',
      { ids },
    );
    expect([Number(counts?.['tasks']), Number(counts?.['edges'])]).toEqual([4800, 4800]);
    const one = await store.getConcreteDag(ids[700] ?? '', 1);
    expect(one?.inputs).toEqual({ msg: 'm700' });
    expect(one?.tasks[0]?.context.inputs).toEqual({ msg: 'm700' });
    expect(one?.edges).toHaveLength(4);

    // Each run's ready tasks come with it: the diamond's root, rendered with that run's inputs.
    const ready = outcomes.map((o) =>
      o.ok ? o.result.ready.map((t) => `${t.experimentId}/${t.run} ${t.taskId}`) : [],
    );
    expect(ready).toEqual(ids.map((id) => [`${id}/1 a`]));
    expect(outcomes[700]?.ok === true && outcomes[700].result.ready[0]?.context.inputs).toEqual({
      msg: 'm700',
    });

    // Found again, a run answers with what is ready in it now: not a root already handed out.
    await store.setTaskStates([
      { experimentId: ids[0] ?? '', run: 1, taskId: 'a', attempt: 1, state: 'QUEUED' },
    ]);
    const again = await store.instantiateMany(requests.slice(0, 10));
    expect(again.every((o) => o.ok && !o.result.created)).toBe(true);
    expect(again.map((o) => (o.ok ? o.result.ready.length : -1))).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('answers each run on its own: a conflict, a missing version, an invalid request, a run given twice', async () => {
    const master = await store.putMasterDag(diamond(graph.type('mixed')));
    const base = { run: 1, experimentType: master.experimentType, version: master.version };
    const existing = graph.experimentId('existing');
    await store.instantiate({ ...base, experimentId: existing, inputs: { msg: 'first' } });
    const twice = graph.experimentId('twice');
    const outcomes = await store.instantiateMany([
      { ...base, experimentId: graph.experimentId('fresh'), inputs: { msg: 'ok' } },
      { ...base, experimentId: existing, inputs: { msg: 'other' } },
      { ...base, experimentId: graph.experimentId('noversion'), version: 99, inputs: {} },
      { ...base, experimentId: '', inputs: {} },
      { ...base, experimentId: twice, inputs: { msg: 't' } },
      { ...base, experimentId: twice, inputs: { msg: 't' } },
    ]);
    expect(outcomes.map((o) => (o.ok ? o.result.created : o.error.name))).toEqual([
      true,
      'ExperimentConflictError',
      'StoreInputError',
      'StoreInputError',
      true,
      true,
    ]);
    expect(outcomes[1]?.ok === false && outcomes[1].error).toBeInstanceOf(ExperimentConflictError);
    expect(outcomes[2]?.ok === false && outcomes[2].error).toBeInstanceOf(StoreInputError);
    expect((await store.getConcreteDag(existing, 1))?.inputs).toEqual({ msg: 'first' });
    expect(await graph.rows('MATCH (t:Task {experimentId: $id}) RETURN t', { id: twice })).toHaveLength(4);
  });
});

describe('firstIncompleteTasksOfRuns', () => {
  it('gives the first incomplete tasks of each run, and none for a run whose every node is executed', async () => {
    const master = await store.putMasterDag(diamond(graph.type('incomplete')));
    const [done, half] = [graph.experimentId('done'), graph.experimentId('half')];
    for (const experimentId of [done, half]) {
      await store.instantiate({
        experimentId,
        run: 1,
        experimentType: master.experimentType,
        version: master.version,
        inputs: { msg: 'x' },
      });
    }
    const complete = (experimentId: string, taskIds: string[]) =>
      store.markExecuted(
        taskIds.map((taskId) => ({ experimentId, run: 1, taskId, attempt: 1, outputs: {} })),
      );
    await complete(done, ['a', 'b', 'c', 'd']);
    await complete(half, ['a']);
    await store.setTaskStates([{ experimentId: half, run: 1, taskId: 'b', attempt: 1, state: 'RUNNING' }]);
    const tasks = await store.firstIncompleteTasksOfRuns([
      { experimentId: done, run: 1 },
      { experimentId: half, run: 1 },
    ]);
    // In flight or not, b and c are where the half-done run continues; the done run has none.
    expect(tasks.map((task) => [task.experimentId, task.taskId, task.state]).sort()).toEqual([
      [half, 'b', 'RUNNING'],
      [half, 'c', 'PENDING'],
    ]);
  });
});

import { DagValidationError } from '@wlm/commons/errors';
import type { DagDefinition } from '@wlm/commons/dag';
import { ExperimentConflictError, StoreInputError } from '@wlm/orchestrator';
import type { Neo4jDagStore } from '@wlm/orchestrator';
import { int } from 'neo4j-driver';
import { diamond, graphStoreForFile, testGraph } from './neo4j-test-graph';

/** Neo4jDagStore against the real Neo4j: schema, master-DAG versions, instantiation, cleanup. */
let store: Neo4jDagStore;
const graph = graphStoreForFile((opened) => (store = opened));

describe('schema', () => {
  it('creates the composite uniqueness constraints and the indexes, and a second run is a no-op', async () => {
    await store.ensureSchema();
    const constraints = await graph.rows(
      'SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties WHERE name STARTS WITH "wlm_" ' +
        'RETURN name, type, labelsOrTypes, properties ORDER BY name',
    );
    expect(constraints).toEqual([
      {
        name: 'wlm_concrete_dag_key',
        type: 'UNIQUENESS',
        labelsOrTypes: ['ConcreteDag'],
        properties: ['experimentId', 'run'],
      },
      {
        name: 'wlm_master_dag_key',
        type: 'UNIQUENESS',
        labelsOrTypes: ['MasterDag'],
        properties: ['experimentType', 'version'],
      },
      {
        name: 'wlm_master_task_key',
        type: 'UNIQUENESS',
        labelsOrTypes: ['MasterTask'],
        properties: ['experimentType', 'version', 'taskId'],
      },
      {
        name: 'wlm_task_key',
        type: 'UNIQUENESS',
        labelsOrTypes: ['Task'],
        properties: ['experimentId', 'run', 'taskId'],
      },
    ]);
    const indexes = await graph.rows(
      'SHOW INDEXES YIELD name, type, state, labelsOrTypes, properties WHERE name STARTS WITH "wlm_" ' +
        'RETURN name, type, state, labelsOrTypes, properties ORDER BY name',
    );
    // Each constraint owns a range index of its name; readyTasks needs one more.
    expect(indexes.map((index) => index['name'])).toEqual([
      'wlm_concrete_dag_key',
      'wlm_master_dag_key',
      'wlm_master_task_key',
      'wlm_task_key',
      'wlm_task_progress',
    ]);
    expect(indexes.every((index) => index['state'] === 'ONLINE' && index['type'] === 'RANGE')).toBe(true);
    expect(indexes[4]).toMatchObject({
      labelsOrTypes: ['Task'],
      properties: ['experimentId', 'run', 'isExecuted'],
    });
  });

  it('refuses a second Task with the same (experimentId, run, taskId)', async () => {
    const id = graph.experimentId('dup');
    const create = 'CREATE (:Task {experimentId: $id, run: $run, taskId: "a"})';
    await graph.driver.executeQuery(create, { id, run: int(1) });
    await expect(graph.driver.executeQuery(create, { id, run: int(1) })).rejects.toMatchObject({
      code: 'Neo.ClientError.Schema.ConstraintValidationFailed',
    });
    await graph.driver.executeQuery(create, { id, run: int(2) }); // another run is another node
    expect(await store.deleteExperiment(id)).toBe(2);
  });
});

describe('master DAGs', () => {
  it('stores each put as the next version and keeps every version readable, exactly', async () => {
    const type = graph.type('versions');
    const first = diamond(type, 'first');
    const second: DagDefinition = { type, description: 'second', tasks: [{ id: 'only', type: 'echo' }] };
    const v1 = await store.putMasterDag(first);
    const v2 = await store.putMasterDag(second);
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(await store.getMasterDag(type)).toEqual(v2);
    expect(await store.getMasterDag(type, 1)).toEqual({
      experimentType: type,
      version: 1,
      definition: first,
      createdAt: v1.createdAt,
    });
    expect((await store.getMasterDag(type, 2))?.definition).toEqual(second);
    expect(await store.getMasterDag(type, 3)).toBeUndefined();
    expect(await store.getMasterDag(graph.type('never-put'))).toBeUndefined();

    const listed = (await store.listMasterDags()).filter((dag) =>
      dag.experimentType.startsWith(graph.prefix),
    );
    expect(listed).toEqual([
      { experimentType: type, latestVersion: 2, versions: 2, description: 'second', updatedAt: v2.createdAt },
    ]);
  });

  it('writes the graph form: MasterTask nodes and PRECEDES edges that carry type and version', async () => {
    const type = graph.type('graph-form');
    const { version } = await store.putMasterDag(diamond(type));
    const tasks = await graph.rows(
      'MATCH (t:MasterTask {experimentType: $type, version: $version}) ' +
        'RETURN t.taskId AS taskId, t.taskType AS taskType, t.params AS params, t.retry AS retry, ' +
        't.timeoutMs AS timeoutMs, t.constraints AS constraints ORDER BY taskId',
      { type, version: int(version) },
    );
    expect(tasks.map((task) => task['taskId'])).toEqual(['a', 'b', 'c', 'd']);
    expect(tasks[2]).toMatchObject({
      taskType: 'echo',
      params: '{}',
      retry: '{"maxAttempts":3,"backoffMs":500}',
    });
    expect(Number(tasks[2]?.['timeoutMs'])).toBe(60000);
    expect(JSON.parse(String(tasks[3]?.['constraints']))).toEqual({ labels: { site: 'local' } });
    const edges = await graph.rows(
      'MATCH (a:MasterTask {experimentType: $type})-[e:PRECEDES]->(b:MasterTask) ' +
        'RETURN a.taskId + ">" + b.taskId AS edge, e.experimentType AS type, e.version AS version ORDER BY edge',
      { type },
    );
    expect(edges.map((edge) => edge['edge'])).toEqual(['a>b', 'a>c', 'b>d', 'c>d']);
    expect(edges.every((edge) => edge['type'] === type && Number(edge['version']) === version)).toBe(true);
  });

  it('gives concurrent puts of one type distinct, consecutive versions', async () => {
    const type = graph.type('concurrent');
    const puts = Array.from({ length: 6 }, (_, i) => store.putMasterDag(diamond(type, `put ${i}`)));
    const versions = (await Promise.all(puts)).map((dag) => dag.version).sort((a, b) => a - b);
    expect(versions).toEqual([1, 2, 3, 4, 5, 6]);
    const [summary] = (await store.listMasterDags()).filter((dag) => dag.experimentType === type);
    expect(summary).toMatchObject({ latestVersion: 6, versions: 6 });
  });

  it('validates the definition again and stores nothing when it is invalid', async () => {
    const type = graph.type('invalid');
    const cyclic = {
      type,
      tasks: [
        { id: 'a', type: 'echo', after: ['b'] },
        { id: 'b', type: 'echo', after: ['a'] },
      ],
    } as DagDefinition;
    await expect(store.putMasterDag(cyclic)).rejects.toBeInstanceOf(DagValidationError);
    expect(await store.getMasterDag(type)).toBeUndefined();
  });
});

describe('instantiate', () => {
  it('creates every node with its full context, PENDING and not executed, and the NEXT edges', async () => {
    const master = await store.putMasterDag(diamond(graph.type('instantiate')));
    const experimentId = graph.experimentId();
    const request = {
      experimentId,
      run: 1,
      experimentType: master.experimentType,
      version: master.version,
      inputs: { msg: 'hi' },
    };
    expect(await store.instantiate(request)).toEqual({ created: true, taskCount: 4 });
    const dag = await store.getConcreteDag(experimentId, 1);
    expect(dag).toMatchObject({ experimentId, run: 1, version: master.version, inputs: { msg: 'hi' } });
    expect(dag?.edges).toEqual([
      { from: 'a', to: 'b' },
      { from: 'a', to: 'c' },
      { from: 'b', to: 'd' },
      { from: 'c', to: 'd' },
    ]);
    expect(
      dag?.tasks.map((task) => [task.taskId, task.state, task.isExecuted, task.attempt, task.outputs]),
    ).toEqual([
      ['a', 'PENDING', false, 0, null],
      ['b', 'PENDING', false, 0, null],
      ['c', 'PENDING', false, 0, null],
      ['d', 'PENDING', false, 0, null],
    ]);
    expect(dag?.tasks[0]?.context).toEqual({ params: { message: '{{inputs.msg}}' }, inputs: { msg: 'hi' } });
    expect(dag?.tasks[2]?.context).toEqual({
      params: {},
      inputs: { msg: 'hi' },
      retry: { maxAttempts: 3, backoffMs: 500 },
      timeoutMs: 60000,
    });
    expect(dag?.tasks[3]?.context.constraints).toEqual({ labels: { site: 'local' } });
  });

  it('is idempotent: a second call, or concurrent calls, create the nodes once', async () => {
    const master = await store.putMasterDag(diamond(graph.type('idempotent')));
    const request = (experimentId: string) => ({
      experimentId,
      run: 1,
      experimentType: master.experimentType,
      version: master.version,
      inputs: { msg: 'x', nested: { a: 1, b: [1, 2] } },
    });
    const id = graph.experimentId();
    await store.instantiate(request(id));
    const before = await store.getConcreteDag(id, 1);
    // Same inputs with their keys in another order are the same request.
    const again = await store.instantiate({
      ...request(id),
      inputs: { nested: { b: [1, 2], a: 1 }, msg: 'x' },
    });
    expect(again).toEqual({ created: false, taskCount: 4 });
    expect(await store.getConcreteDag(id, 1)).toEqual(before);

    const racing = graph.experimentId('race');
    const results = await Promise.all(Array.from({ length: 5 }, () => store.instantiate(request(racing))));
    expect(results.filter((result) => result.created)).toHaveLength(1);
    const [counts] = await graph.rows(
      'MATCH (t:Task {experimentId: $id}) RETURN count(t) AS tasks, ' +
        'COUNT { MATCH (:Task {experimentId: $id})-[:NEXT]->() } AS edges',
      { id: racing },
    );
    expect([Number(counts?.['tasks']), Number(counts?.['edges'])]).toEqual([4, 4]);
  });

  it('keeps runs apart and refuses a run that exists with other inputs or version', async () => {
    const master = await store.putMasterDag(diamond(graph.type('runs')));
    const id = graph.experimentId();
    const base = { experimentId: id, experimentType: master.experimentType, version: master.version };
    await store.instantiate({ ...base, run: 1, inputs: { msg: 'one' } });
    expect(await store.instantiate({ ...base, run: 2, inputs: { msg: 'two' } })).toMatchObject({
      created: true,
    });
    expect((await store.getConcreteDag(id, 2))?.inputs).toEqual({ msg: 'two' });
    await expect(store.instantiate({ ...base, run: 1, inputs: { msg: 'other' } })).rejects.toBeInstanceOf(
      ExperimentConflictError,
    );
    const v2 = await store.putMasterDag(diamond(master.experimentType));
    await expect(
      store.instantiate({ ...base, version: v2.version, run: 1, inputs: { msg: 'one' } }),
    ).rejects.toBeInstanceOf(ExperimentConflictError);
  });

  it('refuses a master-DAG version that does not exist, writing nothing', async () => {
    const id = graph.experimentId();
    await expect(
      store.instantiate({
        experimentId: id,
        run: 1,
        experimentType: graph.type('none'),
        version: 1,
        inputs: {},
      }),
    ).rejects.toMatchObject({ code: 'STORE_INPUT_INVALID', field: 'version' });
    await expect(
      store.instantiate({
        experimentId: id,
        run: 0,
        experimentType: graph.type('none'),
        version: 1,
        inputs: {},
      }),
    ).rejects.toBeInstanceOf(StoreInputError);
    expect(await store.getConcreteDag(id, 1)).toBeUndefined();
  });
});

describe('cleanup', () => {
  it('deleteExperiment removes every run of the experiment and nothing else', async () => {
    const master = await store.putMasterDag(diamond(graph.type('cleanup')));
    const [gone, kept] = [graph.experimentId('gone'), graph.experimentId('kept')];
    const base = { experimentType: master.experimentType, version: master.version, inputs: {} };
    await store.instantiate({ ...base, experimentId: gone, run: 1 });
    await store.instantiate({ ...base, experimentId: gone, run: 2 });
    await store.instantiate({ ...base, experimentId: kept, run: 1 });
    expect(await store.deleteExperiment(gone)).toBe(8);
    expect(await store.getConcreteDag(gone, 1)).toBeUndefined();
    expect(await store.getConcreteDag(gone, 2)).toBeUndefined();
    expect((await store.getConcreteDag(kept, 1))?.tasks).toHaveLength(4);
    expect(await store.deleteExperiment(gone)).toBe(0);
  });

  it("the test namespace's cleanup leaves none of its nodes behind", async () => {
    const scratch = testGraph();
    const scratchStore = await scratch.openStore();
    try {
      const master = await scratchStore.putMasterDag(diamond(scratch.type('scratch')));
      await scratchStore.instantiate({
        experimentId: scratch.experimentId(),
        run: 1,
        experimentType: master.experimentType,
        version: master.version,
        inputs: {},
      });
      expect(await scratch.remaining()).toEqual({ MasterDag: 1, MasterTask: 4, ConcreteDag: 1, Task: 4 });
    } finally {
      await scratchStore.close();
    }
    const check = testGraph();
    await scratch.cleanup();
    const left = await check.rows(
      'MATCH (n) WHERE n.experimentType STARTS WITH $prefix OR n.experimentId STARTS WITH $prefix ' +
        'RETURN count(n) AS n',
      { prefix: scratch.prefix },
    );
    await check.cleanup();
    expect(Number(left[0]?.['n'])).toBe(0);
  });

  it('close is idempotent and a closed store refuses work', async () => {
    const other = await graph.openStore();
    await Promise.all([other.close(), other.close()]);
    await other.close();
    await expect(other.listMasterDags()).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
  });
});

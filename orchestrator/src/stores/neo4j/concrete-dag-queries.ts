import { randomUUID } from 'node:crypto';
import { DagGraph } from '@wlm/commons/dag';
import type { ManagedTransaction } from 'neo4j-driver';
import type { DagDefinition } from '@wlm/commons/dag';
import type {
  ConcreteDag,
  InstantiateOutcome,
  InstantiateRequest,
  InstantiatedRun,
  ReadyTask,
} from '../../domain/dag-store';
import type { JsonObject } from '../../domain/json';
import { isTaskState } from '../../domain/task-state';
import { ExperimentConflictError } from '../../errors/experiment-conflict-error';
import { StoreDataError } from '../../errors/store-data-error';
import { StoreInputError } from '../../errors/store-input-error';
import { PINNED_PLAN, integer, query } from './cypher';
import { jsonEqual } from './json-equal';
import { selectMasterDag } from './master-dag-queries';
import { buildNodeSpec, outputSources, readNodeSpec } from './node-spec';
import { selectReadyTasks } from './ready-queries';

/**
 * One `:ConcreteDag` node per (experimentId, run) anchors the concrete DAG: MERGE on it is where
 * concurrent instantiations of the same run serialize (the uniqueness constraint locks the key), and
 * the token tells the one transaction that created it from the ones that found it. The token is
 * removed before commit, so no other transaction ever sees it. Many runs at once: the caller gives
 * each (experimentId, run) once, so no two rows of one call meet the same anchor.
 */
const MERGE_CONCRETE_DAGS = `
  ${PINNED_PLAN}
  UNWIND $dags AS dag
  MERGE (d:ConcreteDag {experimentId: dag.experimentId, run: dag.run})
  ON CREATE SET d.experimentType = dag.experimentType, d.version = dag.version, d.inputs = dag.inputs,
                d.taskCount = dag.taskCount, d.createdAt = datetime(), d.creationToken = $token
  WITH dag, d, coalesce(d.creationToken = $token, false) AS created
  REMOVE d.creationToken
  RETURN dag.experimentId AS experimentId, created, d.experimentType AS experimentType,
         d.version AS version, d.inputs AS inputs, d.taskCount AS taskCount`;

/** MERGE on the unique key, so even a repeated creation (after a partial cleanup) adds no twin. */
const MERGE_TASKS = `
  ${PINNED_PLAN}
  UNWIND $tasks AS task
  MERGE (t:Task {experimentId: task.experimentId, run: task.run, taskId: task.taskId})
  ON CREATE SET t.taskType = task.taskType, t.context = task.context,
                t.outputSources = task.outputSources, t.isExecuted = false, t.state = 'PENDING',
                t.attempt = 0`;

/** Both ends sought in the unique key's index: keys from UNWIND may otherwise lead the planner elsewhere. */
const MERGE_EDGES = `
  ${PINNED_PLAN}
  UNWIND $edges AS edge
  MATCH (from:Task {experimentId: edge.experimentId, run: edge.run, taskId: edge.from})
  USING INDEX from:Task(experimentId, run, taskId)
  MATCH (to:Task {experimentId: edge.experimentId, run: edge.run, taskId: edge.to})
  USING INDEX to:Task(experimentId, run, taskId)
  MERGE (from)-[:NEXT]->(to)`;

/** A master-DAG version as instantiation needs it: the definition and its edges, computed once. */
interface MasterShape {
  definition: DagDefinition;
  edges: { from: string; to: string }[];
}

function masterShape(definition: DagDefinition): MasterShape {
  const graph = DagGraph.from(definition);
  const edges = graph.taskIds.flatMap((to) => graph.dependenciesOf(to).map((from) => ({ from, to })));
  return { definition, edges };
}

/**
 * Creates the concrete DAGs of many runs in the caller's transaction, with one statement for their
 * anchors, one for all their nodes and one for all their edges, whatever their number. Each
 * (experimentId, run) must appear once. A run whose master-DAG version is missing, or that exists
 * with another type, version or inputs, fails alone; the others are created.
 */
export async function createConcreteDags(
  tx: ManagedTransaction,
  requests: readonly InstantiateRequest[],
): Promise<InstantiateOutcome[]> {
  const outcomes = new Array<InstantiateOutcome | undefined>(requests.length);
  const masters = new Map<string, MasterShape | undefined>();
  for (const request of requests) {
    const key = `${request.experimentType}@${request.version}`;
    if (!masters.has(key)) {
      const master = await selectMasterDag(tx, request.experimentType, request.version);
      masters.set(key, master === undefined ? undefined : masterShape(master.definition));
    }
  }
  const known: { index: number; request: InstantiateRequest; master: MasterShape; inputs: string }[] = [];
  requests.forEach((request, index) => {
    const master = masters.get(`${request.experimentType}@${request.version}`);
    if (master === undefined) {
      const message = `there is no master DAG ${JSON.stringify(request.experimentType)} version ${request.version}`;
      outcomes[index] = { ok: false, error: new StoreInputError('version', message) };
    } else known.push({ index, request, master, inputs: JSON.stringify(request.inputs) });
  });
  if (known.length === 0) return outcomes as InstantiateOutcome[];

  const anchors = await query(tx, 'ConcreteDag', MERGE_CONCRETE_DAGS, {
    token: randomUUID(),
    dags: known.map(({ request, master, inputs }) => ({
      experimentId: request.experimentId,
      run: integer(request.run),
      experimentType: request.experimentType,
      version: integer(request.version),
      inputs,
      taskCount: integer(master.definition.tasks.length),
    })),
  });
  if (anchors.length !== known.length)
    throw new StoreDataError('ConcreteDag', 'experimentId', `the merge returned ${anchors.length} rows`);
  const fresh: typeof known = [];
  known.forEach((entry, i) => {
    const anchor = anchors[i] as (typeof anchors)[number];
    if (anchor.boolean('created')) {
      fresh.push(entry);
      outcomes[entry.index] = {
        ok: true,
        result: { created: true, taskCount: entry.master.definition.tasks.length },
      };
      return;
    }
    const same =
      anchor.string('experimentType') === entry.request.experimentType &&
      anchor.integer('version') === entry.request.version &&
      // Against the inputs as stored: JSON drops undefined members, and so must the comparison.
      jsonEqual(anchor.jsonObject('inputs'), JSON.parse(entry.inputs) as JsonObject);
    outcomes[entry.index] = same
      ? { ok: true, result: { created: false, taskCount: anchor.integer('taskCount') } }
      : { ok: false, error: new ExperimentConflictError(entry.request.experimentId, null) };
  });

  const tasks = fresh.flatMap(({ request, master }) =>
    master.definition.tasks.map((task) => ({
      experimentId: request.experimentId,
      run: integer(request.run),
      taskId: task.id,
      taskType: task.type,
      context: JSON.stringify(buildNodeSpec(task, request.inputs)),
      outputSources: outputSources(task),
    })),
  );
  if (tasks.length > 0) await query(tx, 'Task', MERGE_TASKS, { tasks });
  const edges = fresh.flatMap(({ request, master }) =>
    master.edges.map(({ from, to }) => ({
      experimentId: request.experimentId,
      run: integer(request.run),
      from,
      to,
    })),
  );
  if (edges.length > 0) await query(tx, 'Task', MERGE_EDGES, { edges });
  return outcomes as InstantiateOutcome[];
}

/**
 * {@link createConcreteDags}, then the ready tasks of every run it instantiated or found, read in the
 * same transaction (so after its writes). Each run of `requests` at most once.
 */
export async function createConcreteDagsWithReadyTasks(
  tx: ManagedTransaction,
  requests: readonly InstantiateRequest[],
): Promise<InstantiateOutcome<InstantiatedRun>[]> {
  const outcomes = await createConcreteDags(tx, requests);
  const runs = requests.filter((_, index) => outcomes[index]?.ok === true);
  const ready = runs.length === 0 ? [] : await selectReadyTasks(tx, runs, false);
  const byRun = new Map<string, ReadyTask[]>();
  for (const task of ready) {
    const key = runKey(task);
    const list = byRun.get(key);
    if (list === undefined) byRun.set(key, [task]);
    else list.push(task);
  }
  return outcomes.map((outcome, index) =>
    outcome.ok
      ? {
          ok: true,
          result: {
            ...outcome.result,
            ready: byRun.get(runKey(requests[index] as InstantiateRequest)) ?? [],
          },
        }
      : outcome,
  );
}

function runKey(run: { experimentId: string; run: number }): string {
  return `${run.experimentId}\u0000${run.run}`;
}

const SELECT_CONCRETE_DAG = `
  MATCH (d:ConcreteDag {experimentId: $experimentId, run: $run})
  RETURN d.experimentType AS experimentType, d.version AS version, d.inputs AS inputs,
         d.createdAt AS createdAt,
         COLLECT {
           MATCH (t:Task {experimentId: $experimentId, run: $run}) WHERE t.taskId IS NOT NULL
           RETURN t {.taskId, .taskType, .state, .isExecuted, .attempt, .outputs, .context} AS task
           ORDER BY t.taskId
         } AS tasks,
         COLLECT {
           MATCH (from:Task {experimentId: $experimentId, run: $run})-[:NEXT]->(to:Task)
           WHERE from.taskId IS NOT NULL
           RETURN {from: from.taskId, to: to.taskId} AS edge
           ORDER BY from.taskId, to.taskId
         } AS edges`;

export async function selectConcreteDag(
  tx: ManagedTransaction,
  experimentId: string,
  run: number,
): Promise<ConcreteDag | undefined> {
  const [reader] = await query(tx, 'ConcreteDag', SELECT_CONCRETE_DAG, { experimentId, run: integer(run) });
  if (reader === undefined) return undefined;
  return {
    experimentId,
    run,
    experimentType: reader.string('experimentType'),
    version: reader.integer('version'),
    inputs: reader.jsonObject('inputs'),
    createdAt: reader.date('createdAt'),
    tasks: reader.maps('tasks', 'Task').map((task) => ({
      taskId: task.string('taskId'),
      taskType: task.string('taskType'),
      state: task.oneOf('state', isTaskState),
      isExecuted: task.boolean('isExecuted'),
      attempt: task.integer('attempt'),
      outputs: task.jsonObjectOrNull('outputs'),
      context: readNodeSpec(task, 'context'),
    })),
    edges: reader.maps('edges', 'NEXT').map((edge) => ({ from: edge.string('from'), to: edge.string('to') })),
  };
}

/** `IS NOT NULL`: lets the planner seek a prefix of the unique key's index (see schema.ts). */
const DELETE_TASKS = `
  MATCH (t:Task)
  WHERE t.experimentId = $experimentId AND t.run IS NOT NULL AND t.taskId IS NOT NULL
  DETACH DELETE t
  RETURN count(t) AS deleted`;

const DELETE_CONCRETE_DAGS = `
  MATCH (d:ConcreteDag)
  WHERE d.experimentId = $experimentId AND d.run IS NOT NULL
  DELETE d`;

/** Deletes every run of an experiment; returns how many task nodes went. */
export async function deleteConcreteDags(tx: ManagedTransaction, experimentId: string): Promise<number> {
  const [result] = await query(tx, 'Task', DELETE_TASKS, { experimentId });
  await query(tx, 'ConcreteDag', DELETE_CONCRETE_DAGS, { experimentId });
  return result === undefined ? 0 : result.integer('deleted');
}

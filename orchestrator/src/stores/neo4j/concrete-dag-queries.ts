import { randomUUID } from 'node:crypto';
import { DagGraph } from '@wlm/commons';
import type { ManagedTransaction } from 'neo4j-driver';
import type { ConcreteDag, InstantiateRequest, InstantiateResult } from '../../domain/dag-store';
import type { JsonObject } from '../../domain/json';
import { isTaskState } from '../../domain/task-state';
import { ExperimentConflictError } from '../../errors/experiment-conflict-error';
import { StoreDataError } from '../../errors/store-data-error';
import { StoreInputError } from '../../errors/store-input-error';
import { integer, query } from './cypher';
import { jsonEqual } from './json-equal';
import { selectMasterDag } from './master-dag-queries';
import { buildTaskContext, outputSources, readTaskContext } from './task-context';

/**
 * One `:ConcreteDag` node per (experimentId, run) anchors the concrete DAG: MERGE on it is where
 * concurrent instantiations of the same run serialize (the uniqueness constraint locks the key), and
 * the token tells the one transaction that created it from the ones that found it. The token is
 * removed before commit, so no other transaction ever sees it.
 */
const MERGE_CONCRETE_DAG = `
  MERGE (d:ConcreteDag {experimentId: $experimentId, run: $run})
  ON CREATE SET d.experimentType = $experimentType, d.version = $version, d.inputs = $inputs,
                d.taskCount = $taskCount, d.createdAt = datetime(), d.creationToken = $token
  WITH d, coalesce(d.creationToken = $token, false) AS created
  REMOVE d.creationToken
  RETURN created, d.experimentType AS experimentType, d.version AS version, d.inputs AS inputs,
         d.taskCount AS taskCount`;

/** MERGE on the unique key, so even a repeated creation (after a partial cleanup) adds no twin. */
const MERGE_TASKS = `
  UNWIND $tasks AS task
  MERGE (t:Task {experimentId: $experimentId, run: $run, taskId: task.taskId})
  ON CREATE SET t.taskType = task.taskType, t.context = task.context,
                t.outputSources = task.outputSources, t.isExecuted = false, t.state = 'PENDING',
                t.attempt = 0`;

const MERGE_EDGES = `
  UNWIND $edges AS edge
  MATCH (from:Task {experimentId: $experimentId, run: $run, taskId: edge.from})
  MATCH (to:Task {experimentId: $experimentId, run: $run, taskId: edge.to})
  MERGE (from)-[:NEXT]->(to)`;

/** Creates the concrete DAG of one run from its master-DAG version, in the caller's transaction. */
export async function createConcreteDag(
  tx: ManagedTransaction,
  request: InstantiateRequest,
): Promise<InstantiateResult> {
  const master = await selectMasterDag(tx, request.experimentType, request.version);
  if (master === undefined) {
    throw new StoreInputError(
      'version',
      `there is no master DAG ${JSON.stringify(request.experimentType)} version ${request.version}`,
    );
  }
  const { definition } = master;
  const scope = { experimentId: request.experimentId, run: integer(request.run) };
  const inputs = JSON.stringify(request.inputs);
  const [anchor] = await query(tx, 'ConcreteDag', MERGE_CONCRETE_DAG, {
    ...scope,
    experimentType: request.experimentType,
    version: integer(request.version),
    inputs,
    taskCount: integer(definition.tasks.length),
    token: randomUUID(),
  });
  if (anchor === undefined)
    throw new StoreDataError('ConcreteDag', 'experimentId', 'the merge returned no row');
  if (!anchor.boolean('created')) {
    const same =
      anchor.string('experimentType') === request.experimentType &&
      anchor.integer('version') === request.version &&
      // Against the inputs as stored: JSON drops undefined members, and so must the comparison.
      jsonEqual(anchor.jsonObject('inputs'), JSON.parse(inputs) as JsonObject);
    if (!same) throw new ExperimentConflictError(request.experimentId, null);
    return { created: false, taskCount: anchor.integer('taskCount') };
  }
  await query(tx, 'Task', MERGE_TASKS, {
    ...scope,
    tasks: definition.tasks.map((task) => ({
      taskId: task.id,
      taskType: task.type,
      context: JSON.stringify(buildTaskContext(task, request.inputs)),
      outputSources: outputSources(task),
    })),
  });
  const graph = DagGraph.from(definition);
  const edges = graph.taskIds.flatMap((to) => graph.dependenciesOf(to).map((from) => ({ from, to })));
  if (edges.length > 0) await query(tx, 'Task', MERGE_EDGES, { ...scope, edges });
  return { created: true, taskCount: definition.tasks.length };
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
      context: readTaskContext(task, 'context'),
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

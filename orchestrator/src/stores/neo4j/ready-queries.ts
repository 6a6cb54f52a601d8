import type { ManagedTransaction } from 'neo4j-driver';
import type { ReadyTask, RunCompletions } from '../../domain/dag-store';
import type { JsonObject } from '../../domain/json';
import { isTaskState } from '../../domain/task-state';
import { PINNED_PLAN, integer, query } from './cypher';
import { readNodeSpec } from './node-spec';
import type { ValueReader } from './value-reader';

/** A task in these states has been handed to the scheduler: dispatching it again is not "ready". */
const IN_FLIGHT = ['QUEUED', 'RUNNING'];

/**
 * What makes a candidate `t` ready: not executed, not excluded by state, and no predecessor left
 * unexecuted. FAILED and CANCELLED nodes pass: they only wait here when their experiment was resumed.
 */
const READY_FILTER = `
  WHERE NOT t.isExecuted
    AND NOT t.state IN $excludedStates
    AND NOT EXISTS { MATCH (p:Task)-[:NEXT]->(t) WHERE NOT p.isExecuted }`;

/**
 * A ready task with the outputs it may render: those of its direct predecessors, and those of the
 * upstream tasks its params name (`outputSources`, found by key, not by walking every path up).
 */
const READY_PROJECTION = `
  RETURN t.experimentId AS experimentId, t.run AS run, t.taskId AS taskId, t.taskType AS taskType,
         t.state AS state, t.attempt AS attempt, t.context AS context,
         COLLECT { MATCH (p:Task)-[:NEXT]->(t) RETURN p {.taskId, .outputs} AS upstream } +
         COLLECT {
           UNWIND t.outputSources AS source
           MATCH (p:Task {experimentId: t.experimentId, run: t.run, taskId: source})
           RETURN p {.taskId, .outputs} AS upstream
         } AS upstream
  ORDER BY taskId`;

/**
 * Candidates: the unexecuted nodes of the given runs, sought in the (experimentId, run, isExecuted) index —
 * hinted, because on small data the planner prefers scanning the whole index, which would not stay
 * cheap as experiments accumulate.
 */
const READY_TASKS = `
  ${PINNED_PLAN}
  UNWIND $runs AS r
  MATCH (t:Task {experimentId: r.experimentId, run: r.run, isExecuted: false})
  USING INDEX t:Task(experimentId, run, isExecuted)
  ${READY_FILTER}
  ${READY_PROJECTION}`;

/**
 * Candidates: the successors of the given nodes only, so the hot path costs the edges it touches —
 * for the runs of many experiments in one query. The completed nodes are found through the unique
 * key's index, hinted because keys that come from UNWIND may otherwise lead the planner elsewhere.
 */
const READY_DEPENDENTS = `
  ${PINNED_PLAN}
  UNWIND $runs AS r
  UNWIND r.completedTaskIds AS completedId
  MATCH (c:Task {experimentId: r.experimentId, run: r.run, taskId: completedId})
  USING INDEX c:Task(experimentId, run, taskId)
  MATCH (c)-[:NEXT]->(t:Task)
  WITH DISTINCT t
  ${READY_FILTER}
  ${READY_PROJECTION}`;

function toReadyTask(reader: ValueReader): ReadyTask {
  const upstreamOutputs: Record<string, JsonObject> = {};
  for (const upstream of reader.maps('upstream', 'Task')) {
    // An upstream task without outputs has not completed; rendering will say so by name.
    const outputs = upstream.jsonObjectOrNull('outputs');
    if (outputs !== null) upstreamOutputs[upstream.string('taskId')] = outputs;
  }
  return {
    experimentId: reader.string('experimentId'),
    run: reader.integer('run'),
    taskId: reader.string('taskId'),
    taskType: reader.string('taskType'),
    state: reader.oneOf('state', isTaskState),
    attempt: reader.integer('attempt'),
    context: readNodeSpec(reader, 'context'),
    upstreamOutputs,
  };
}

/**
 * The ready tasks of the given runs, in one query. With `includeInFlight`, QUEUED and RUNNING tasks
 * count as ready too: that is where a run resumes after a crash, when nobody knows whether their
 * requests got out.
 */
export async function selectReadyTasks(
  tx: ManagedTransaction,
  runs: readonly { experimentId: string; run: number }[],
  includeInFlight: boolean,
): Promise<ReadyTask[]> {
  const readers = await query(tx, 'Task', READY_TASKS, {
    runs: runs.map((r) => ({ experimentId: r.experimentId, run: integer(r.run) })),
    excludedStates: includeInFlight ? [] : IN_FLIGHT,
  });
  return readers.map(toReadyTask);
}

export async function selectReadyDependents(
  tx: ManagedTransaction,
  runs: readonly RunCompletions[],
): Promise<ReadyTask[]> {
  const readers = await query(tx, 'Task', READY_DEPENDENTS, {
    runs: runs.map((r) => ({
      experimentId: r.experimentId,
      run: integer(r.run),
      completedTaskIds: [...new Set(r.completedTaskIds)],
    })),
    excludedStates: IN_FLIGHT,
  });
  return readers.map(toReadyTask);
}

import type { ManagedTransaction } from 'neo4j-driver';
import type { TaskCompletion, TaskKey, TaskStateChange } from '../../domain/dag-store';
import { TASK_STATE_RANK } from '../../domain/task-state';
import { PINNED_PLAN, integer, query } from './cypher';
import type { CypherValue } from './cypher';
import type { ValueReader } from './value-reader';

/*
 * Both writes take each node's write lock BEFORE reading the guard (`SET t._lock … REMOVE t._lock`).
 * Neo4j runs at read committed: without the lock, two transactions could both read "not executed"
 * (or "rank 1"), and the second to commit would overwrite the first — a late RUNNING undoing a
 * FAILED, or a second COMPLETED replacing the outputs the engine already acted on. With the lock,
 * the guard is read after any concurrent writer has committed. (Cypher locks before reading only
 * when the read sits in the SET expression itself; a WHERE guard gets no such help.)
 */

/**
 * Each row finds its node through the unique (experimentId, run, taskId) index. The hint is not
 * decoration: given keys from UNWIND, the planner may otherwise pick a less selective index and
 * read every node of the experiment for every row — quadratic in the DAG size.
 */
const FIND_TASK = `
  MATCH (t:Task {experimentId: c.experimentId, run: c.run, taskId: c.taskId})
  USING INDEX t:Task(experimentId, run, taskId)`;

/** Executed for good: the first completion wins and later ones change nothing. */
const MARK_EXECUTED = `
  ${PINNED_PLAN}
  UNWIND $completions AS c
  ${FIND_TASK}
  SET t._lock = true
  REMOVE t._lock
  WITH t, c
  WHERE NOT t.isExecuted
  SET t.isExecuted = true, t.state = 'COMPLETED', t.attempt = c.attempt, t.outputs = c.outputs,
      t.executedAt = datetime()
  RETURN t.experimentId AS experimentId, t.run AS run, t.taskId AS taskId`;

/**
 * Forward only, by (attempt, rank): a later attempt replaces an earlier one whatever the states (the
 * scheduler retried), within one attempt a state replaces a lower-ranked one (TASK_STATE_RANK), and
 * an executed node never changes.
 */
const SET_TASK_STATES = `
  ${PINNED_PLAN}
  UNWIND $changes AS c
  ${FIND_TASK}
  SET t._lock = true
  REMOVE t._lock
  WITH t, c
  WHERE NOT t.isExecuted
    AND (c.attempt > t.attempt OR (c.attempt = t.attempt AND $rank[c.state] > $rank[t.state]))
  SET t.state = c.state, t.attempt = c.attempt
  RETURN t.experimentId AS experimentId, t.run AS run, t.taskId AS taskId`;

/** The rank table as a Cypher map, built from the one table in the domain. */
const RANK: { [state: string]: CypherValue } = Object.fromEntries(
  Object.entries(TASK_STATE_RANK).map(([state, rank]) => [state, integer(rank)]),
);

function keyParameters(key: TaskKey): { [key: string]: CypherValue } {
  return { experimentId: key.experimentId, run: integer(key.run), taskId: key.taskId };
}

function toTaskKey(reader: ValueReader): TaskKey {
  return {
    experimentId: reader.string('experimentId'),
    run: reader.integer('run'),
    taskId: reader.string('taskId'),
  };
}

/** Marks completions executed; returns the keys that were not executed before. */
export async function updateExecuted(
  tx: ManagedTransaction,
  completions: readonly TaskCompletion[],
): Promise<TaskKey[]> {
  const readers = await query(tx, 'Task', MARK_EXECUTED, {
    completions: completions.map((completion) => ({
      ...keyParameters(completion),
      attempt: integer(completion.attempt),
      outputs: JSON.stringify(completion.outputs),
    })),
  });
  return readers.map(toTaskKey);
}

/** Applies state changes forward only; returns the keys whose node changed. */
export async function updateTaskStates(
  tx: ManagedTransaction,
  changes: readonly TaskStateChange[],
): Promise<TaskKey[]> {
  const readers = await query(tx, 'Task', SET_TASK_STATES, {
    rank: RANK,
    changes: changes.map((change) => ({
      ...keyParameters(change),
      state: change.state,
      attempt: integer(change.attempt),
    })),
  });
  return readers.map(toTaskKey);
}

/** Whether a later change for the same key should replace `kept` when a batch is folded per key. */
export function stateChangeSupersedes(kept: TaskStateChange, next: TaskStateChange): boolean {
  if (next.attempt !== kept.attempt) return next.attempt > kept.attempt;
  return TASK_STATE_RANK[next.state] > TASK_STATE_RANK[kept.state];
}

import type { Session } from 'neo4j-driver';

/**
 * The constraints and indexes every query of the store relies on. Neo4j 5 Community supports
 * uniqueness constraints on composite properties (not existence or key constraints, which are
 * Enterprise-only); each one is backed by a range index that also serves the lookups by that key,
 * and by a prefix of it when the query states that the remaining properties exist
 * (`WHERE t.experimentId = $id AND t.run IS NOT NULL AND t.taskId IS NOT NULL`): the planner
 * cannot assume that, since Community has no existence constraints.
 *
 * Named, so that `IF NOT EXISTS` makes a second start (or a second orchestrator starting at the same
 * time) a no-op, and so that operators can find them in `SHOW CONSTRAINTS`.
 */
export const SCHEMA_STATEMENTS: readonly string[] = [
  // Versions of a type are allocated by "max + 1"; two concurrent puts collide here and one retries.
  'CREATE CONSTRAINT wlm_master_dag_key IF NOT EXISTS ' +
    'FOR (d:MasterDag) REQUIRE (d.experimentType, d.version) IS UNIQUE',
  'CREATE CONSTRAINT wlm_master_task_key IF NOT EXISTS ' +
    'FOR (t:MasterTask) REQUIRE (t.experimentType, t.version, t.taskId) IS UNIQUE',
  // The anchor that makes instantiate idempotent: MERGE on it serializes concurrent instantiations.
  'CREATE CONSTRAINT wlm_concrete_dag_key IF NOT EXISTS ' +
    'FOR (d:ConcreteDag) REQUIRE (d.experimentId, d.run) IS UNIQUE',
  // Every event addresses a task by this key; the MERGE of instantiate relies on it too.
  'CREATE CONSTRAINT wlm_task_key IF NOT EXISTS ' +
    'FOR (t:Task) REQUIRE (t.experimentId, t.run, t.taskId) IS UNIQUE',
  // readyTasks / firstIncompleteTasks start from the unexecuted nodes of one run; with this index
  // their cost follows what is left to do, not the size of the DAG or of the database.
  'CREATE INDEX wlm_task_progress IF NOT EXISTS FOR (t:Task) ON (t.experimentId, t.run, t.isExecuted)',
];

/**
 * Applies the schema, one statement per transaction (Neo4j refuses to mix schema and data changes,
 * or two schema changes, in one), then waits until every index is online: a query planned while an
 * index is still populating would scan instead.
 */
export async function applySchema(session: Session, awaitSeconds: number): Promise<void> {
  for (const statement of SCHEMA_STATEMENTS) {
    await session.executeWrite((tx) => tx.run(statement));
  }
  await session.run('CALL db.awaitIndexes($seconds)', { seconds: awaitSeconds });
}

import { DagGraph, validateDagDefinition } from '@wlm/commons/dag';
import { DagValidationError } from '@wlm/commons/errors';
import type { DagDefinition } from '@wlm/commons/dag';
import type { ManagedTransaction } from 'neo4j-driver';
import type { MasterDag, MasterDagSummary } from '../../domain/dag-store';
import { StoreDataError } from '../../errors/store-data-error';
import { integer, query } from './cypher';
import type { CypherParameters } from './cypher';
import type { ValueReader } from './value-reader';

/**
 * Master DAGs: one `:MasterDag` node per (experimentType, version) holding the definition as JSON
 * text (what `getMasterDag` returns, exactly as put), and its graph form — `:MasterTask` nodes joined
 * by `[:PRECEDES]` — for people and tools that query the graph.
 *
 * Edges carry the experiment type as properties, `[:PRECEDES {experimentType, version}]`, rather
 * than a relationship type per experiment type (`[:DIAMOND]`, as the seeds did with experiment ids):
 * - relationship types cannot be query parameters, so a type per experiment type would mean Cypher
 *   built from strings, one query plan per type, and a token in the schema forever (types are never
 *   deleted, even when no relationship uses them any more);
 * - a traversal never needs the type to tell edges apart: it starts from `:MasterTask` nodes already
 *   found by (experimentType, version), and every edge joins two nodes of the same version;
 * - the properties still say, on the edge itself, which DAG and version it belongs to.
 */

/** Creates the next version of the type; fails with ConstraintValidationFailed when a concurrent put took it. */
const CREATE_MASTER_DAG = `
  OPTIONAL MATCH (previous:MasterDag)
  WHERE previous.experimentType = $experimentType AND previous.version IS NOT NULL
  WITH coalesce(max(previous.version), 0) + 1 AS version
  CREATE (d:MasterDag {
    experimentType: $experimentType, version: version, description: $description,
    definition: $definition, taskCount: $taskCount, createdAt: datetime()
  })
  RETURN d.version AS version, d.createdAt AS createdAt`;

const CREATE_MASTER_TASKS = `
  UNWIND $tasks AS task
  CREATE (:MasterTask {
    experimentType: $experimentType, version: $version, taskId: task.taskId, position: task.position,
    taskType: task.taskType, params: task.params, retry: task.retry, timeoutMs: task.timeoutMs,
    constraints: task.constraints
  })`;

const CREATE_MASTER_EDGES = `
  UNWIND $edges AS edge
  MATCH (from:MasterTask {experimentType: $experimentType, version: $version, taskId: edge.from})
  MATCH (to:MasterTask {experimentType: $experimentType, version: $version, taskId: edge.to})
  CREATE (from)-[:PRECEDES {experimentType: $experimentType, version: $version}]->(to)`;

const MASTER_DAG_FIELDS = `
  RETURN d.experimentType AS experimentType, d.version AS version, d.definition AS definition,
         d.createdAt AS createdAt`;

const SELECT_MASTER_DAG_VERSION = `
  MATCH (d:MasterDag {experimentType: $experimentType, version: $version}) ${MASTER_DAG_FIELDS}`;

const SELECT_LATEST_MASTER_DAG = `
  MATCH (d:MasterDag)
  WHERE d.experimentType = $experimentType AND d.version IS NOT NULL
  ${MASTER_DAG_FIELDS}
  ORDER BY version DESC
  LIMIT 1`;

const SELECT_MASTER_DAG_SUMMARIES = `
  MATCH (d:MasterDag)
  WITH d.experimentType AS experimentType, max(d.version) AS latestVersion, count(d) AS versions
  MATCH (latest:MasterDag {experimentType: experimentType, version: latestVersion})
  RETURN experimentType, latestVersion, versions, latest.description AS description,
         latest.createdAt AS updatedAt
  ORDER BY experimentType`;

/** Writes `definition` as the next version of its type, graph form included, in the caller's transaction. */
export async function insertMasterDag(tx: ManagedTransaction, definition: DagDefinition): Promise<MasterDag> {
  const graph = DagGraph.from(definition);
  const experimentType = definition.type;
  const [created] = await query(tx, 'MasterDag', CREATE_MASTER_DAG, {
    experimentType,
    description: definition.description ?? null,
    definition: JSON.stringify(definition),
    taskCount: integer(definition.tasks.length),
  });
  // CREATE always yields its row; a missing one means the driver or server broke the protocol.
  if (created === undefined) throw new StoreDataError('MasterDag', 'version', 'the insert returned no row');
  const version = created.integer('version');
  const scope: CypherParameters = { experimentType, version: integer(version) };
  await query(tx, 'MasterTask', CREATE_MASTER_TASKS, {
    ...scope,
    tasks: definition.tasks.map((task, position) => ({
      taskId: task.id,
      position: integer(position),
      taskType: task.type,
      params: JSON.stringify(task.params ?? {}),
      retry: task.retry === undefined ? null : JSON.stringify(task.retry),
      timeoutMs: task.timeoutMs === undefined ? null : integer(task.timeoutMs),
      constraints: task.constraints === undefined ? null : JSON.stringify(task.constraints),
    })),
  });
  const edges = graph.taskIds.flatMap((to) => graph.dependenciesOf(to).map((from) => ({ from, to })));
  if (edges.length > 0) await query(tx, 'MasterTask', CREATE_MASTER_EDGES, { ...scope, edges });
  return { experimentType, version, definition, createdAt: created.date('createdAt') };
}

function toMasterDag(reader: ValueReader): MasterDag {
  const text = reader.string('definition');
  let definition: DagDefinition;
  try {
    definition = validateDagDefinition(JSON.parse(text));
  } catch (error) {
    // Written by a newer orchestrator (a field this one does not know), or edited by hand.
    const reason = error instanceof DagValidationError ? error.problems.join('; ') : 'not JSON';
    throw reader.invalid('definition', `a valid DAG definition (${reason})`, text);
  }
  return {
    experimentType: reader.string('experimentType'),
    version: reader.integer('version'),
    definition,
    createdAt: reader.date('createdAt'),
  };
}

/** One version of a type, or its latest when `version` is undefined. */
export async function selectMasterDag(
  tx: ManagedTransaction,
  experimentType: string,
  version: number | undefined,
): Promise<MasterDag | undefined> {
  const [reader] =
    version === undefined
      ? await query(tx, 'MasterDag', SELECT_LATEST_MASTER_DAG, { experimentType })
      : await query(tx, 'MasterDag', SELECT_MASTER_DAG_VERSION, {
          experimentType,
          version: integer(version),
        });
  return reader === undefined ? undefined : toMasterDag(reader);
}

export async function selectMasterDagSummaries(tx: ManagedTransaction): Promise<MasterDagSummary[]> {
  const readers = await query(tx, 'MasterDag', SELECT_MASTER_DAG_SUMMARIES);
  return readers.map((reader) => ({
    experimentType: reader.string('experimentType'),
    latestVersion: reader.integer('latestVersion'),
    versions: reader.integer('versions'),
    description: reader.stringOrNull('description'),
    updatedAt: reader.date('updatedAt'),
  }));
}

import { int } from 'neo4j-driver';
import type { Integer, ManagedTransaction } from 'neo4j-driver';
import { ValueReader } from './value-reader';

/**
 * A parameter that must be stored as a Cypher INTEGER. A plain JS number is sent as a FLOAT: `run: 1`
 * would be stored as 1.0, which equals 1 in a comparison but is a different value for an index seek
 * and for a uniqueness constraint. Every integer property goes through here.
 */
export function integer(value: number): Integer {
  return int(value);
}

/**
 * Opens a statement whose plan statistics cannot improve, because an index hint or a MERGE on the
 * unique key fixes how it finds its nodes. Neo4j replans a cached statement once the counts it was
 * planned with have drifted, which they do every few seconds while experiments are being created,
 * and planning costs far more than running: in a bench run the ready-task query spent 3.7 s compiling
 * against 0.5 s executing over 253 calls (docs/performance.md). `replan=skip` keeps the cached plan.
 * A statement without such a pin must not use it: its first plan, made on a near-empty graph, would
 * stay.
 */
export const PINNED_PLAN = 'CYPHER replan=skip';

/** Cypher's "no value": a property set to null is simply not stored. */
export type CypherValue =
  string | number | boolean | null | Integer | CypherValue[] | { [key: string]: CypherValue };

export type CypherParameters = { [key: string]: CypherValue };

/**
 * Runs one statement in a managed transaction and returns a reader per record, labelled `label` for
 * error messages. Values always travel as parameters, never spliced into the text: no injection, and
 * the server plans each statement once whatever the values.
 */
export async function query(
  tx: ManagedTransaction,
  label: string,
  text: string,
  parameters: CypherParameters = {},
): Promise<ValueReader[]> {
  const result = await tx.run(text, parameters);
  return result.records.map((record) => new ValueReader(label, record.toObject() as Record<string, unknown>));
}

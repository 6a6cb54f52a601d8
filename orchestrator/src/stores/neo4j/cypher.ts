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

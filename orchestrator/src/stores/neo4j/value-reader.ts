import { isDateTime, isInt } from 'neo4j-driver';
import { isJsonObject } from '../../domain/json';
import type { JsonObject } from '../../domain/json';
import { StoreDataError } from '../../errors/store-data-error';

/** A map as the driver returns it (a record's fields or a Cypher map), values not yet typed. */
export type Fields = Readonly<Record<string, unknown>>;

/**
 * Reads typed properties out of what a query returned, failing with a {@link StoreDataError} that
 * names the label and property when the graph does not have the shape this orchestrator expects
 * (edited by hand, or written by a newer version). Keeps the driver's `any`-typed values out of the
 * code, and turns neo4j Integers into numbers only when they fit in one exactly.
 */
export class ValueReader {
  constructor(
    /** What is being read, e.g. `Task` or `MasterDag`: the "table" of the error. */
    private readonly label: string,
    private readonly fields: Fields,
  ) {}

  string(key: string): string {
    const value = this.fields[key];
    if (typeof value !== 'string') throw this.invalid(key, 'a string', value);
    return value;
  }

  stringOrNull(key: string): string | null {
    return this.fields[key] === null || this.fields[key] === undefined ? null : this.string(key);
  }

  boolean(key: string): boolean {
    const value = this.fields[key];
    if (typeof value !== 'boolean') throw this.invalid(key, 'a boolean', value);
    return value;
  }

  /** Cypher integers arrive as neo4j `Integer`s (64-bit); anything past 2^53 is refused, not rounded. */
  integer(key: string): number {
    const value = this.fields[key];
    if (isInt(value) && value.inSafeRange()) return value.toNumber();
    if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
    throw this.invalid(key, 'an integer', value);
  }

  date(key: string): Date {
    const value = this.fields[key];
    if (isDateTime(value)) return value.toStandardDate();
    throw this.invalid(key, 'a datetime', value);
  }

  /** JSON objects are stored as text: Neo4j properties cannot hold maps. */
  jsonObject(key: string): JsonObject {
    const text = this.string(key);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw this.invalid(key, 'JSON text', text);
    }
    if (!isJsonObject(value)) throw this.invalid(key, 'a JSON object', text);
    return value;
  }

  jsonObjectOrNull(key: string): JsonObject | null {
    return this.fields[key] === null || this.fields[key] === undefined ? null : this.jsonObject(key);
  }

  /** A property from a closed set, e.g. a state. */
  oneOf<T extends string>(key: string, accepts: (value: unknown) => value is T): T {
    const value = this.fields[key];
    if (!accepts(value)) throw this.invalid(key, 'a known value', value);
    return value;
  }

  /** A nested map (e.g. a map projection inside a list). */
  map(key: string): Fields {
    const value = this.fields[key];
    if (!isFields(value)) throw this.invalid(key, 'a map', value);
    return value;
  }

  list(key: string): readonly unknown[] {
    const value = this.fields[key];
    if (!Array.isArray(value)) throw this.invalid(key, 'a list', value);
    return value;
  }

  /** A list of maps, each to be read with a reader of its own. */
  maps(key: string, label: string): ValueReader[] {
    return this.list(key).map((item, index) => {
      if (!isFields(item)) throw this.invalid(`${key}[${index}]`, 'a map', item);
      return new ValueReader(label, item);
    });
  }

  /** Fails like a read would, for checks that span several properties. */
  invalid(key: string, expected: string, value: unknown): StoreDataError {
    const text = typeof value === 'string' ? value : String(value);
    const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    return new StoreDataError(this.label, key, `expected ${expected}, found ${shown}`);
  }
}

export function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

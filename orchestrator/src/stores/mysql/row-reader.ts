import { isJsonObject } from '../../domain/json';
import type { JsonObject } from '../../domain/json';
import { StoreDataError } from '../../errors/store-data-error';
import type { Row } from './sql';

/**
 * Reads typed columns from a result row, failing with a {@link StoreDataError} that names the column
 * when the row does not have the expected shape. This keeps mysql2's `any`-typed rows out of the code.
 */
export class RowReader {
  constructor(
    private readonly table: string,
    private readonly row: Row,
  ) {}

  string(column: string): string {
    const value = this.row[column];
    if (typeof value !== 'string') throw this.invalid(column, 'a string', value);
    return value;
  }

  stringOrNull(column: string): string | null {
    return this.row[column] === null ? null : this.string(column);
  }

  /** Integers; BIGINT columns may arrive as digit strings when they exceed 2^53. */
  integer(column: string): number {
    const value = this.row[column];
    const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
      throw this.invalid(column, 'a safe integer', value);
    }
    return number;
  }

  /** For expressions such as `IS_USED_LOCK(x) = y`, which yield 1, 0 or NULL. */
  flag(column: string): boolean {
    return this.row[column] !== null && this.integer(column) === 1;
  }

  date(column: string): Date {
    const value = this.row[column];
    if (!(value instanceof Date) || Number.isNaN(value.getTime()))
      throw this.invalid(column, 'a date', value);
    return value;
  }

  dateOrNull(column: string): Date | null {
    return this.row[column] === null ? null : this.date(column);
  }

  /** MariaDB's JSON is LONGTEXT, so it arrives as text; MySQL's arrives parsed. Both are accepted. */
  jsonObject(column: string): JsonObject {
    const raw = this.row[column];
    let value: unknown = raw;
    if (typeof raw === 'string') {
      try {
        value = JSON.parse(raw);
      } catch {
        throw this.invalid(column, 'JSON', raw);
      }
    }
    if (!isJsonObject(value)) throw this.invalid(column, 'a JSON object', raw);
    return value;
  }

  jsonObjectOrNull(column: string): JsonObject | null {
    return this.row[column] === null ? null : this.jsonObject(column);
  }

  /** A column whose values come from a closed set, e.g. a state. */
  oneOf<T extends string>(column: string, accepts: (value: unknown) => value is T): T {
    const value = this.row[column];
    if (!accepts(value)) throw this.invalid(column, 'a known value', value);
    return value;
  }

  private invalid(column: string, expected: string, value: unknown): StoreDataError {
    const shown = typeof value === 'string' && value.length > 80 ? `${value.slice(0, 80)}…` : String(value);
    return new StoreDataError(this.table, column, `expected ${expected}, found ${shown}`);
  }
}

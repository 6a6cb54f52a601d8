import { isJsonObjectShape } from '@wlm/commons/wire';
import type { JsonObject } from '@wlm/commons/wire';

export type { JsonObject, JsonValue } from '@wlm/commons/wire';

/**
 * True for a plain object (not an array, not null): the only top-level shape our JSON columns
 * accept. For values parsed from JSON (a column, a stored property): their contents are JSON
 * already, so the shape is all that is left to check.
 */
export function isJsonObject(value: unknown): value is JsonObject {
  return isJsonObjectShape(value);
}

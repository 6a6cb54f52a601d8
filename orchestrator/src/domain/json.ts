/** A value that survives `JSON.stringify` → `JSON.parse` unchanged: what a JSON column holds. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object, e.g. an experiment's inputs or a task's outputs. */
export type JsonObject = { [key: string]: JsonValue };

/** True for a plain object (not an array, not null): the only top-level shape our JSON columns accept. */
export function isJsonObject(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

import { semverSchema, taskTypeSchema } from '../wire/fields';
import type { TaskPlugin } from './task-plugin';

function isSchema(value: unknown): boolean {
  // Duck-typed rather than `instanceof ZodType`: a plugin package may bring its own copy of zod.
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { safeParse?: unknown }).safeParse === 'function'
  );
}

/**
 * Everything that keeps `value` from being a usable {@link TaskPlugin}, one readable line each;
 * empty when it is one. The worker reports these when a plugin fails to load.
 */
export function taskPluginProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [`expected a plugin object, got ${typeof value}`];
  const candidate = value as Partial<Record<keyof TaskPlugin, unknown>>;
  const problems: string[] = [];
  // The same rules as the wire's, since name and version travel in requests and Serf tags.
  if (!taskTypeSchema.safeParse(candidate.name).success) {
    problems.push(
      `name must be a task type such as "echo" (lower case, digits, _ . -), got ${show(candidate.name)}`,
    );
  }
  if (!semverSchema.safeParse(candidate.version).success) {
    problems.push(`version must be a semantic version such as "1.2.0", got ${show(candidate.version)}`);
  }
  if (typeof candidate.description !== 'string') problems.push('description must be a string');
  if (!isSchema(candidate.inputSchema)) problems.push('inputSchema must be a zod schema');
  if (candidate.outputSchema !== undefined && !isSchema(candidate.outputSchema)) {
    problems.push('outputSchema must be a zod schema when given');
  }
  if (typeof candidate.run !== 'function') problems.push('run must be a function (ctx, signal) => Promise');
  if (candidate.cancel !== undefined && typeof candidate.cancel !== 'function') {
    problems.push('cancel must be a function (ctx, signal) => Promise when given');
  }
  return problems;
}

/** Runtime check for loading plugins from modules the worker does not know at compile time. */
export function isTaskPlugin(value: unknown): value is TaskPlugin {
  return taskPluginProblems(value).length === 0;
}

/**
 * Finds the plugin a module exports, following the convention: a named export `plugin`, with the
 * same object as the default export. Either one alone is accepted, as is a CommonJS module seen
 * through `import()` (where the exports arrive under `default`). Returns the problems otherwise.
 */
export function pluginFromModule(moduleExports: unknown): TaskPlugin | { problems: string[] } {
  const candidates = exportCandidates(moduleExports);
  const found = candidates.find(isTaskPlugin);
  if (found !== undefined) return found;
  const first = candidates[0];
  if (first === undefined) {
    return { problems: ['the module exports no `plugin` and no default export'] };
  }
  return { problems: taskPluginProblems(first) };
}

function exportCandidates(moduleExports: unknown): unknown[] {
  if (typeof moduleExports !== 'object' || moduleExports === null) return [];
  const exports = moduleExports as { plugin?: unknown; default?: unknown };
  const nested =
    typeof exports.default === 'object' && exports.default !== null
      ? (exports.default as { plugin?: unknown; default?: unknown })
      : {};
  return [exports.plugin, exports.default, nested.plugin, nested.default].filter(
    (candidate) => candidate !== undefined,
  );
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}

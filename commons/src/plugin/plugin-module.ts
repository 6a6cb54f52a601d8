import { pathToFileURL } from 'node:url';
import { messageOf } from '../errors/message-of';
import { PluginModuleError } from '../errors/plugin-module-error';
import { pluginFromModule } from './is-task-plugin';
import type { TaskPlugin } from './task-plugin';

/**
 * The module name for a task type: `echo` → `@wlm/task-echo`. Anything that already looks like a
 * package name or a path is returned as is.
 */
export function pluginSpecifier(taskTypeOrModule: string): string {
  return /^[a-z][a-z0-9_.-]*$/.test(taskTypeOrModule) ? `@wlm/task-${taskTypeOrModule}` : taskTypeOrModule;
}

/**
 * Resolves a package name or path to a module file: first from `resolvePaths` (e.g. the working
 * directory), then from wherever wlm itself is installed.
 */
export function resolvePluginModule(specifier: string, resolvePaths: readonly string[]): string {
  try {
    return require.resolve(specifier, { paths: [...resolvePaths] });
  } catch {
    try {
      return require.resolve(specifier);
    } catch {
      throw new PluginModuleError(
        `cannot find plugin module "${specifier}" (looked from ${[...resolvePaths, __dirname].join(', ')}); ` +
          'install the package or give a path to the module',
      );
    }
  }
}

const loaded = new Map<string, Promise<TaskPlugin>>();

/** Imports a resolved module once per process and returns the plugin it exports. */
export function importPlugin(modulePath: string): Promise<TaskPlugin> {
  let plugin = loaded.get(modulePath);
  if (plugin === undefined) {
    plugin = importUncached(modulePath);
    loaded.set(modulePath, plugin);
  }
  return plugin;
}

async function importUncached(modulePath: string): Promise<TaskPlugin> {
  let moduleExports: unknown;
  try {
    // import() rather than require(): it loads ES modules as well as CommonJS ones.
    moduleExports = await import(pathToFileURL(modulePath).href);
  } catch (error) {
    throw new PluginModuleError(`plugin module ${modulePath} failed to load: ${messageOf(error)}`, {
      cause: error,
    });
  }
  const found = pluginFromModule(moduleExports);
  if ('problems' in found) {
    throw new PluginModuleError(
      `module ${modulePath} does not export a task plugin: ${found.problems.join('; ')}`,
    );
  }
  return found;
}

/** The reason to report for a failed load: our own messages are complete without a class name. */
export function loadErrorMessage(error: unknown): string {
  return error instanceof PluginModuleError ? error.message : messageOf(error);
}

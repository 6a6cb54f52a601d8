import { pathToFileURL } from 'node:url';
import { pluginFromModule } from '@wlm/commons';
import type { TaskPlugin } from '@wlm/commons';
import { messageOf } from './error-message';

/** A plugin module could not be found, loaded, or does not export a plugin; `message` says which. */
export class PluginModuleError extends Error {
  override readonly name = 'PluginModuleError';
}

/**
 * Resolves a package name or path to a module file: first from `resolvePaths` (the worker's working
 * directory by default), then from wherever the worker itself is installed.
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

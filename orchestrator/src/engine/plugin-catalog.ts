import { PluginModuleError } from '@wlm/commons/errors';
import { importPlugin, pluginSpecifier, resolvePluginModule } from '@wlm/commons/plugin-host';
import type { Logger } from '@wlm/commons/logging';
import type { TaskPlugin } from '@wlm/commons/plugin';

/**
 * The task plugins this orchestrator can load (`@wlm/task-<type>` packages it resolves), so that a
 * DAG is checked against them when it is stored. A type it cannot resolve is simply not checked
 * here — its workers validate the params when the task runs. What was found, or not, is kept for
 * the life of the process: a plugin installed later is seen after a restart.
 */
export class PluginCatalog {
  private readonly found = new Map<string, Promise<TaskPlugin | undefined>>();

  constructor(
    private readonly resolvePaths: readonly string[],
    private readonly logger: Logger,
  ) {}

  /** The plugins of `taskTypes` that can be loaded, by task type. */
  async plugins(taskTypes: Iterable<string>): Promise<Map<string, TaskPlugin>> {
    const types = [...new Set(taskTypes)];
    const plugins = await Promise.all(types.map((type) => this.plugin(type)));
    const byType = new Map<string, TaskPlugin>();
    types.forEach((type, index) => {
      const plugin = plugins[index];
      // A package whose plugin serves another type is not this type's plugin.
      if (plugin !== undefined && plugin.name === type) byType.set(type, plugin);
    });
    return byType;
  }

  private plugin(taskType: string): Promise<TaskPlugin | undefined> {
    let plugin = this.found.get(taskType);
    if (plugin === undefined) {
      plugin = this.load(taskType);
      this.found.set(taskType, plugin);
    }
    return plugin;
  }

  private async load(taskType: string): Promise<TaskPlugin | undefined> {
    let modulePath: string;
    try {
      modulePath = resolvePluginModule(pluginSpecifier(taskType), this.resolvePaths);
    } catch (error) {
      if (!(error instanceof PluginModuleError)) throw error;
      this.logger.debug(
        { taskType },
        'no plugin package for this task type here; its params are checked by workers only',
      );
      return undefined;
    }
    try {
      return await importPlugin(modulePath);
    } catch (error) {
      this.logger.warn(
        { err: error, taskType, modulePath },
        'the plugin package does not load; its params are not checked here',
      );
      return undefined;
    }
  }
}

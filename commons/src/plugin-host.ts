/**
 * `@wlm/commons/plugin-host` — what loads task plugins: resolving a task type or path to a module,
 * importing it and finding its plugin export, and the schema of the compute resources a task
 * process is handed. The worker (and its task processes) and the tools that check plugins use it;
 * plugin authors use `@wlm/commons/plugin`.
 *
 * @example
 * ```ts
 * import { importPlugin, pluginSpecifier, resolvePluginModule } from '@wlm/commons/plugin-host';
 * const modulePath = resolvePluginModule(pluginSpecifier('echo'), [process.cwd()]);
 * const plugin = await importPlugin(modulePath); // PluginModuleError when it exports no plugin
 * ```
 */
export { importPlugin, loadErrorMessage, pluginSpecifier, resolvePluginModule } from './plugin/plugin-module';
export { pluginFromModule } from './plugin/is-task-plugin';
export { PluginModuleError } from './errors/plugin-module-error';
export { messageOf } from './errors/message-of';
// The module itself, not `remote/index`: that would load the SSH client into every task process.
export { computeResourcesSchema } from './remote/compute-resource';

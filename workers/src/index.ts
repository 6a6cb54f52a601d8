/**
 * @wlm/workers — the worker runtime. This part loads task plugins and runs tasks isolated in child
 * processes.
 *
 * @example
 * ```ts
 * import { IsolatedTaskRunner, PluginLoader, pluginSpecifier } from '@wlm/workers';
 *
 * const { plugins, failures } = await new PluginLoader({ logger }).load(['echo', 'shell'].map(pluginSpecifier));
 * const runner = new IsolatedTaskRunner({ logger, memoryLimitMb: 512, defaultTimeoutMs: 3_600_000 });
 * const echo = plugins.find((plugin) => plugin.taskType === 'echo');
 * if (echo !== undefined) {
 *   const outcome = await runner.run({ plugin: echo, experimentId: 'e1', taskId: 'a', attempt: 1, params: { x: 1 } });
 *   // outcome: { status: 'completed', outputs: { x: 1 } }
 * }
 * await runner.close();
 * ```
 */
export { IsolatedTaskRunner, PluginLoader, pluginSpecifier } from './execution';
export type {
  IsolatedTaskRunnerOptions,
  LoadedPlugin,
  PluginLoadFailure,
  PluginLoadResult,
  PluginLoaderOptions,
  PluginRef,
  TaskOutcome,
  TaskOutputs,
  TaskProgress,
  TaskRunRequest,
} from './execution';

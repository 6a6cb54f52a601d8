/**
 * @wlm/workers — the worker runtime: a {@link Worker} advertises its task types and free slots over
 * Serf, consumes its own priority queue, runs each assignment isolated in a child process and
 * reports TaskEvents; underneath, the plugin loader and the isolated task runner.
 *
 * @example
 * ```ts
 * import { Worker, pluginSpecifier } from '@wlm/workers';
 *
 * const worker = await Worker.start({
 *   workerId: 'w1',
 *   plugins: ['echo', 'shell'].map(pluginSpecifier),
 *   slots: 4,
 *   labels: { site: 'bigred' },
 *   amqpUrl: config.rabbitmq.url,
 *   serf: { mode: 'own-agent', join: [config.serf.bindAddr] },
 *   logger,
 * });
 * console.log(worker.info.taskTypes); // { echo: '0.1.0', shell: '0.1.0' }
 * process.once('SIGTERM', () => void worker.close());
 * ```
 *
 * The execution layer on its own:
 *
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
export { IsolatedTaskRunner, PluginLoader, TASK_FAILURE_CODES } from './execution';
// Plugin resolution belongs to commons (the orchestrator resolves plugins too); re-exported for callers of the worker API.
export { pluginSpecifier } from '@wlm/commons/plugin-host';
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
  TaskSettings,
} from './execution';
export { DEFAULT_RUNNING_REPORT_DELAY_MS, MAX_WORKER_SLOTS, Worker, compileWorkerOptions } from './runtime';
export { createWorkerMetrics } from './metrics';
export type { WorkerMetricsSource } from './metrics';
export type {
  CloseOptions,
  CompiledWorkerOptions,
  WorkerEvents,
  WorkerOptions,
  WorkerSerfOptions,
  WorkerStartInfo,
  WorkerTaskFailure,
  WorkerTaskInfo,
} from './runtime';

export { TASK_FAILURE_CODES } from './failure-codes';
export { IsolatedTaskRunner } from './isolated-task-runner';
export type { IsolatedTaskRunnerOptions, PluginRef, TaskRunRequest } from './isolated-task-runner';
export { PluginLoader } from './plugin-loader';
export type { LoadedPlugin, PluginLoadFailure, PluginLoadResult, PluginLoaderOptions } from './plugin-loader';
export type { TaskOutcome, TaskOutputs } from './task-outcome';
export type { TaskProgress } from './run-in-process';
export { NO_TASK_SETTINGS } from './ipc-messages';
export type { TaskSettings } from './ipc-messages';

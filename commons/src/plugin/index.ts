/**
 * The task plugin API and the loading of plugin modules, for the root entry of `@wlm/commons`.
 * Plugin authors import the same API from `@wlm/commons/plugin` (`../plugin-sdk.ts`), which a task
 * process loads without the rest of commons; the worker loads modules with
 * `@wlm/commons/plugin-host`.
 */
export { definePlugin } from './task-plugin';
export { TaskContinuation, isTaskContinuation, MAX_CONTINUATION_DELAY_MS } from './task-continuation';
export type { TaskContinuationOptions } from './task-continuation';
export { taskFailureOf } from './task-failure-of';
export { TaskAbort, isTaskCancelled, taskAbortKind } from './task-abort';
export type { TaskAbortKind } from './task-abort';
export type { TaskContext, TaskPlugin } from './task-plugin';
export { ComputeResources } from './compute-resources';
export { isTaskPlugin, taskPluginProblems, pluginFromModule } from './is-task-plugin';
export { INHERITED_VARIABLES, inheritedEnvironment, isInheritedVariable } from './inherited-environment';
export { importPlugin, loadErrorMessage, pluginSpecifier, resolvePluginModule } from './plugin-module';

/**
 * `@wlm/commons/plugin` — the plugin SDK: everything a task plugin imports, and nothing a worker
 * service needs besides. A task process loads this entry (and the plugin's own imports), never the
 * broker client, the Serf client or the stores; a plugin that works on compute resources over SSH
 * adds `@wlm/commons/remote`. A plugin reads no configuration of its own: the worker hands each task
 * what it may use in its context (`ctx.resources`, `ctx.localRoots`).
 *
 * A plugin package (`@wlm/task-<type>`, or any package a worker is told to load) exports its plugin
 * twice: as the named export `plugin` and as the default export. Workers look for `plugin` first.
 * Plugins fail on purpose by throwing `TaskFailure`, and end a round to carry on later (waiting on a
 * batch job) by throwing `TaskContinuation`.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { TaskFailure, definePlugin } from '@wlm/commons/plugin';
 *
 * export const plugin = definePlugin({
 *   name: 'greet',
 *   version: '1.0.0',
 *   description: 'Says hello',
 *   inputSchema: z.object({ who: z.string() }),
 *   async run(ctx, signal) {
 *     if (ctx.params.who === '') throw TaskFailure.nonRetryable('NOBODY', 'who is empty');
 *     signal.throwIfAborted();
 *     ctx.logger.info({ who: ctx.params.who }, 'greeting');
 *     return { greeting: `hello ${ctx.params.who}` };
 *   },
 * });
 * export default plugin;
 * ```
 */
// Each export names its module, never a folder's index: a folder's index would load the folder's
// other modules (and their dependencies) into every task process.
export { definePlugin } from './plugin/task-plugin';
export type { TaskContext, TaskPlugin } from './plugin/task-plugin';
export { ComputeResources } from './plugin/compute-resources';
export type { ComputeResource, ComputeResourcesConfig } from './remote/compute-resource';
export { isTaskPlugin, taskPluginProblems } from './plugin/is-task-plugin';
export { TaskFailure, isTaskFailure } from './errors/task-failure';
export type { TaskFailureOptions } from './errors/task-failure';
export { WlmError } from './errors/wlm-error';
export type { WlmErrorCode, WlmErrorOptions } from './errors/wlm-error';
export { taskFailureOf } from './plugin/task-failure-of';
export { TaskContinuation, isTaskContinuation, MAX_CONTINUATION_DELAY_MS } from './plugin/task-continuation';
export type { TaskContinuationOptions } from './plugin/task-continuation';
export { TaskAbort, isTaskCancelled, taskAbortKind } from './plugin/task-abort';
export type { TaskAbortKind } from './plugin/task-abort';
export {
  INHERITED_VARIABLES,
  inheritedEnvironment,
  isInheritedVariable,
} from './plugin/inherited-environment';
export { TailBuffer } from './text/tail-buffer';
export type { JsonValue } from './wire/json';
export type { Logger } from './logging/logger';

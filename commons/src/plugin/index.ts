/**
 * The task plugin API — the only part of `@wlm/commons` that task packages use.
 *
 * A plugin package (`@wlm/task-<type>`, or any package a worker is told to load) exports its plugin
 * twice: as the named export `plugin` and as the default export. Workers look for `plugin` first.
 * Plugins fail on purpose by throwing `TaskFailure` (exported from the errors module), and end a
 * round to carry on later (waiting on a batch job) by throwing `TaskContinuation`.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { TaskFailure, definePlugin } from '@wlm/commons';
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
export { definePlugin } from './task-plugin';
export { TaskContinuation, isTaskContinuation, MAX_CONTINUATION_DELAY_MS } from './task-continuation';
export type { TaskContinuationOptions } from './task-continuation';
export { taskFailureOf } from './task-failure-of';
export { TaskAbort, isTaskCancelled, taskAbortKind } from './task-abort';
export type { TaskAbortKind } from './task-abort';
export type { TaskContext, TaskPlugin } from './task-plugin';
export { isTaskPlugin, taskPluginProblems, pluginFromModule } from './is-task-plugin';
export { INHERITED_VARIABLES, inheritedEnvironment, isInheritedVariable } from './inherited-environment';
export { importPlugin, loadErrorMessage, pluginSpecifier, resolvePluginModule } from './plugin-module';

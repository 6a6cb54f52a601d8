/**
 * `@wlm/task-echo` — the `echo` task type: returns its params as outputs. For tests, benchmarks and
 * demos: `params.sleepMs` makes it wait (cancellable), and `params.failTimes: N` makes the first N
 * attempts of a task fail as retryable.
 *
 * @example
 * ```yaml
 * tasks:
 *   - { id: a, type: echo, params: { message: hi, sleepMs: 100, failTimes: 1 } }
 * ```
 */
export { plugin, ECHO_INJECTED_FAILURE } from './echo-plugin';
export type { EchoParams } from './echo-plugin';
export { plugin as default } from './echo-plugin';

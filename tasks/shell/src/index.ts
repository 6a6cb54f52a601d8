/**
 * `@wlm/task-shell` — the `shell` task type: runs a local command with a timeout.
 *
 * The command runs without a shell (`execFile`-style: `command` plus `args`) unless `shell: true`,
 * in its own process group so that a timeout or a cancel kills everything it started; processes it
 * leaves behind in that group are killed when it exits. `cwd` defaults to the task's work directory.
 * Outputs are `{ exitCode, stdout, stderr }` (the last 16 KiB of each); a non-zero exit fails the
 * task (retryable) with the exit code and the end of stderr in the reason.
 *
 * @example
 * ```yaml
 * tasks:
 *   - { id: list, type: shell, params: { command: ls, args: ["-l", "/data"], timeoutMs: 10000 } }
 * ```
 */
export { plugin, SHELL_FAILURE_CODES } from './shell-plugin';
export type { ShellParams, ShellOutputs } from './shell-plugin';
export { plugin as default } from './shell-plugin';

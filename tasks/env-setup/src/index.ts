/**
 * `@wlm/task-env-setup` — the `env-setup` task type: prepares an experiment's run directory on a
 * compute resource over SSH. It creates `<workRoot>/<experimentId>/<run>` (or `params.workDir`) with
 * `inputs/`, `outputs/` and `logs/` — idempotently, so a rerun or a retry finds them in place — then
 * runs `setupCommands` there, in order, in one shell: a `module load` or an `export` affects the
 * commands after it, and the first command that fails stops the rest and fails the task
 * (`SETUP_COMMAND_FAILED`, not retryable) with its exit code and the end of its stderr. Outputs are
 * `{ resource, workDir, inputsDir, outputsDir, logsDir }`, for later tasks to use in their params.
 *
 * @example
 * ```yaml
 * tasks:
 *   - id: prepare
 *     type: env-setup
 *     params:
 *       resource: hpc
 *       setupCommands: ['module load gcc/12', 'python3 -m venv venv', './venv/bin/pip install -r requirements.txt']
 * ```
 */
export { plugin, ENV_SETUP_FAILURE_CODES } from './env-setup-plugin';
export { envSetupParamsSchema, envSetupOutputsSchema } from './env-setup-params';
export type { EnvSetupParams, EnvSetupOutputs } from './env-setup-params';
export { plugin as default } from './env-setup-plugin';

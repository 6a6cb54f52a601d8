/**
 * `@wlm/task-job-submission` — the `job-submission` task type: submits a batch job to a compute
 * resource over SSH (SLURM, or a detached process where there is no batch system) and follows it to
 * its end across rounds, so a long job holds no worker slot.
 *
 * @example
 * ```yaml
 * tasks:
 *   - id: simulate
 *     type: job-submission
 *     params: { resource: hpc, command: ./simulate, args: [--steps, '1000'], nodes: 1, wallTimeMinutes: 30 }
 * ```
 */
export { plugin } from './job-submission-plugin';
export { jobSubmissionParamsSchema } from './job-params';
export type { JobSubmissionParams } from './job-params';
export { LocalBatchSystem, SlurmBatchSystem, batchSystemFor } from './batch';
export type { BatchJobSpec, BatchSystem, JobStatus, SubmittedJob } from './batch';
export { plugin as default } from './job-submission-plugin';

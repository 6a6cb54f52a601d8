import {
  TaskContinuation,
  TaskFailure,
  definePlugin,
  isTaskCancelled,
  resourceForTask,
  runDirectory,
  sharedSshPool,
  taskFailureOf,
} from '@wlm/commons';
import type { ComputeResource, Logger, RemoteShell, TaskContext } from '@wlm/commons';
import { batchSystemFor } from './batch';
import type { BatchJobSpec, BatchSystem, SubmittedJob } from './batch';
import { jobCheckpoint, jobCheckpointSchema } from './job-checkpoint';
import type { JobCheckpoint } from './job-checkpoint';
import { followJob, jobLabel } from './job-follower';
import { jobSubmissionParamsSchema } from './job-params';
import type { JobSubmissionParams } from './job-params';
import { jobPaths } from './job-paths';
import type { JobPaths } from './job-paths';
import { submitOnce } from './submission';

/** A cancel gets this long to reach the resource: the task is stopping, it cannot wait for long. */
const CANCEL_TIMEOUT_MS = 15_000;

/**
 * `job-submission`: writes a batch script from the params, submits it on the compute resource
 * (SLURM's `sbatch`, or a detached process for `batchSystem: local`) and follows the job until it
 * ends. The first round submits and ends with a checkpoint holding the job id; later rounds — on any
 * worker — follow the job, each for at most `monitor.roundMs` before it ends with a checkpoint too,
 * so no broker delivery is held for the hours a job may take and a worker restart loses nothing.
 * Cancelling the task cancels the job (`scancel`); a round stopped for any other reason (timeout,
 * a worker stopping or dying) leaves it running for the next round to follow.
 */
export const plugin = definePlugin({
  name: 'job-submission',
  version: '0.1.0',
  description: 'Submits a batch job to a compute resource over SSH and follows it to its end',
  inputSchema: jobSubmissionParamsSchema,
  async run(ctx, signal) {
    const target = resolveTarget(ctx);
    const resumeFrom = checkpointOf(ctx.checkpoint);
    let job: SubmittedJob | undefined = resumeFrom?.job;
    try {
      if (job === undefined) {
        const submission = await submitOnce(
          await target.connect(signal),
          target.batch,
          target.spec,
          target.paths,
          signal,
        );
        job = submission.job;
        const submitted = `${jobLabel(target.batch, job)} ${submission.reused ? 'found, submitted earlier' : 'submitted'}`;
        ctx.progress(submitted);
        ctx.logger.info({ jobId: job.id, reused: submission.reused }, 'job submitted');
        // The first round ends here, so its assignment is acked as soon as the job is submitted.
        const { pollMs } = ctx.params.monitor;
        throw new TaskContinuation({
          checkpoint: jobCheckpoint(job, pollMs),
          delayMs: pollMs,
          message: submitted,
        });
      }
      const followed = job;
      const end = await followJob({
        batch: target.batch,
        job: followed,
        stderrPath: target.paths.stderrPath,
        monitor: ctx.params.monitor,
        ...(resumeFrom === undefined ? {} : { resumeFrom }),
        connect: () => target.connect(signal),
        progress: (message) => ctx.progress(message),
        logger: ctx.logger,
        signal,
      });
      return {
        resource: target.resource.name,
        batchSystem: target.batch.kind,
        jobId: followed.id,
        state: end.status.state,
        exitCode: end.status.exitCode ?? 0,
        workDir: target.paths.workDir,
        scriptPath: followed.scriptPath,
        stdoutPath: target.paths.stdoutPath,
        stderrPath: target.paths.stderrPath,
      };
    } catch (error) {
      // Only a cancel abandons the task: after a timeout or a stopping worker it runs again from
      // its checkpoint, and the job must live on.
      if (job !== undefined && isTaskCancelled(signal)) await cancelJob(target, job, ctx.logger);
      throw taskFailureOf(error);
    }
  },
  async cancel(ctx) {
    const job = checkpointOf(ctx.checkpoint)?.job;
    if (job !== undefined) await cancelJob(resolveTarget(ctx), job, ctx.logger);
  },
});
export default plugin;

/** What one task talks to and writes. */
interface JobTarget {
  readonly resource: ComputeResource;
  readonly batch: BatchSystem;
  readonly paths: JobPaths;
  readonly spec: BatchJobSpec;
  connect(signal: AbortSignal): Promise<RemoteShell>;
}

function resolveTarget(ctx: TaskContext<JobSubmissionParams>): JobTarget {
  const resource = resourceForTask(ctx.params.resource);
  checkLimits(ctx.params, resource);
  const batch = batchSystemFor(resource);
  const paths = jobPaths(ctx.params.workDir ?? runDirectory(resource.workRoot, ctx), ctx);
  const queue = ctx.params.queue ?? resource.defaultQueue;
  const { params } = ctx;
  const spec: BatchJobSpec = {
    name: `wlm-${ctx.experimentId}-${ctx.taskId}`,
    workDir: paths.workDir,
    command: params.command,
    args: params.args,
    nodes: params.nodes,
    cpusPerTask: params.cpusPerTask,
    ...(params.wallTimeMinutes === undefined ? {} : { wallTimeMinutes: params.wallTimeMinutes }),
    ...(params.memoryMb === undefined ? {} : { memoryMb: params.memoryMb }),
    ...(queue === undefined ? {} : { queue }),
    environment: params.environment,
    stdoutPath: paths.stdoutPath,
    stderrPath: paths.stderrPath,
  };
  return {
    resource,
    batch,
    paths,
    spec,
    connect: (signal) => sharedSshPool().connect(resource, signal),
  };
}

/** The resource's limits, checked before anything is submitted: the batch system would refuse later. */
function checkLimits(params: JobSubmissionParams, resource: ComputeResource): void {
  const { maxNodes, maxCpusPerTask, maxWallTimeMinutes } = resource.limits;
  const exceeded: string[] = [];
  if (params.nodes > maxNodes) exceeded.push(`nodes ${params.nodes} > ${maxNodes}`);
  if (maxCpusPerTask !== undefined && params.cpusPerTask > maxCpusPerTask) {
    exceeded.push(`cpusPerTask ${params.cpusPerTask} > ${maxCpusPerTask}`);
  }
  if (
    maxWallTimeMinutes !== undefined &&
    (params.wallTimeMinutes === undefined || params.wallTimeMinutes > maxWallTimeMinutes)
  ) {
    exceeded.push(`wallTimeMinutes ${params.wallTimeMinutes ?? '(none)'} > ${maxWallTimeMinutes}`);
  }
  if (exceeded.length > 0) {
    throw TaskFailure.nonRetryable(
      'RESOURCE_LIMIT_EXCEEDED',
      `the job asks for more than compute resource "${resource.name}" allows: ${exceeded.join(', ')}`,
    );
  }
}

function checkpointOf(checkpoint: unknown): JobCheckpoint | undefined {
  if (checkpoint === undefined) return undefined;
  const parsed = jobCheckpointSchema.safeParse(checkpoint);
  if (!parsed.success) {
    throw TaskFailure.nonRetryable(
      'CHECKPOINT_INVALID',
      `the saved job checkpoint is unreadable: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

/** Best effort: the task ends cancelled whether or not the job could be reached. */
async function cancelJob(target: JobTarget, job: SubmittedJob, logger: Logger): Promise<void> {
  const signal = AbortSignal.timeout(CANCEL_TIMEOUT_MS);
  try {
    await target.batch.cancel(await target.connect(signal), job, signal);
    logger.info({ jobId: job.id }, 'job cancelled');
  } catch (error) {
    logger.warn({ err: error, jobId: job.id }, 'could not cancel the job');
  }
}

import {
  TaskContinuation,
  TaskFailure,
  definePlugin,
  isTaskCancelled,
  taskFailureOf,
} from '@wlm/commons/plugin';
import {
  checkInsideRoots,
  normalizedPath,
  resourceRoots,
  runDirectory,
  sharedSshPool,
} from '@wlm/commons/remote';
import type { Logger, TaskContext } from '@wlm/commons/plugin';
import type { ComputeResource, RemoteShell } from '@wlm/commons/remote';
import { batchSystemFor } from './batch';
import type { BatchJobSpec, BatchSystem, SubmittedJob } from './batch';
import { jobCheckpoint, jobCheckpointSchema } from './job-checkpoint';
import type { JobCheckpoint } from './job-checkpoint';
import { followJob, jobLabel } from './job-follower';
import { jobSubmissionParamsSchema } from './job-params';
import type { JobSubmissionParams } from './job-params';
import { jobPaths } from './job-paths';
import type { JobPaths } from './job-paths';
import { recordedJob, submitOnce } from './submission';
import type { Submission } from './submission';

/** A cancel gets this long to reach the resource: the task is stopping, it cannot wait for long. */
const CANCEL_TIMEOUT_MS = 15_000;

/** The progress line of a first round, by how it came by the task's job. */
const HOW_COME_BY: Readonly<Record<Submission['outcome'], string>> = {
  submitted: 'submitted',
  reused: 'found, submitted earlier',
  recovered: 'found in the batch system after an interrupted submission',
};

/**
 * `job-submission`: writes a batch script from the params, submits it on the compute resource
 * (SLURM's `sbatch`, or a detached process for `batchSystem: local`) and follows the job until it
 * ends — one job per task, whatever the number of attempts: the job is recorded on the resource,
 * keyed by experiment, run and task (see `submitOnce`), and a new attempt follows the job of the
 * record. The first round submits and ends with a checkpoint holding the job id; later rounds — on any
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
        const submitted = `${jobLabel(target.batch, job)} ${HOW_COME_BY[submission.outcome]}`;
        ctx.progress(submitted);
        ctx.logger.info({ jobId: job.id, outcome: submission.outcome }, 'job submitted');
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
      // its checkpoint, and the job must live on. A cancel during the submission finds the job in
      // the record, once the submission (which an abort does not cut short) has written it.
      if (isTaskCancelled(signal)) await cancelJob(target, job, ctx.logger);
      throw taskFailureOf(error);
    }
  },
  async cancel(ctx) {
    await cancelJob(resolveTarget(ctx), checkpointOf(ctx.checkpoint)?.job, ctx.logger);
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
  const resource = ctx.resources.get(ctx.params.resource);
  checkLimits(ctx.params, resource);
  const batch = batchSystemFor(resource);
  const runDir = runDirectory(resource.workRoot, ctx);
  const workDir = ctx.params.workDir === undefined ? runDir : normalizedPath(ctx.params.workDir);
  checkInsideRoots('workDir', workDir, resourceRoots(resource));
  const paths = jobPaths(runDir, workDir, ctx);
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

/**
 * Cancels the task's job: the checkpoint's, or else the record's (a task cancelled before any round
 * reported its job). Best effort: the task ends cancelled whether or not the job could be reached.
 */
async function cancelJob(target: JobTarget, known: SubmittedJob | undefined, logger: Logger): Promise<void> {
  const signal = AbortSignal.timeout(CANCEL_TIMEOUT_MS);
  let job = known;
  try {
    const shell = await target.connect(signal);
    job ??= await recordedJob(shell, target.batch, target.spec, target.paths, signal);
    if (job === undefined) return;
    await target.batch.cancel(shell, job, signal);
    logger.info({ jobId: job.id }, 'job cancelled');
  } catch (error) {
    logger.warn({ err: error, jobId: job?.id }, 'could not cancel the job');
  }
}

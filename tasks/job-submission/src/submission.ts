import { TaskFailure } from '@wlm/commons/plugin';
import type { RemoteShell } from '@wlm/commons/remote';
import type { BatchJobSpec, BatchSystem, SubmittedJob } from './batch';
import { STEP_EXIT, recordedJobStep, submissionStep } from './job-record';
import type { StepOutcome } from './job-record';
import type { JobPaths } from './job-paths';

/** The task's job, and how this round came by it. */
export interface Submission {
  readonly job: SubmittedJob;
  /**
   * `submitted` by this round; `reused` from the record an earlier round or attempt wrote;
   * `recovered` from the batch system, for a submission whose shell died before it wrote the record.
   */
  readonly outcome: StepOutcome;
}

const OUTCOMES: ReadonlySet<string> = new Set<StepOutcome>(['reused', 'recovered', 'submitted']);

/**
 * Gives the task its one job — once per task, not per attempt: the job record is keyed by
 * experiment, run and task, and read, submitted and written in one remote command under a lock
 * ({@link submissionStep}), so any number of attempts and concurrent rounds of a task submit one job.
 */
export async function submitOnce(
  shell: RemoteShell,
  batch: BatchSystem,
  spec: BatchJobSpec,
  paths: JobPaths,
  signal: AbortSignal,
): Promise<Submission> {
  const answer = await shell.exec(submissionStep(batch, spec, paths), { signal });
  if (answer.exitCode !== 0) throw stepFailure(answer.exitCode, answer.stderr.trim(), paths);
  const [first = '', ...printed] = answer.stdout.trim().split('\n');
  const id = OUTCOMES.has(first) ? batch.jobIdOf(printed.join('\n')) : undefined;
  if (id === undefined) {
    // The record holds what the batch system printed: every later attempt would read the same.
    throw TaskFailure.nonRetryable(
      'JOB_SUBMISSION_FAILED',
      `no job id in the answer of the submission (record ${paths.recordPath}): ${answer.stdout.trim()}`,
    );
  }
  return { job: { id, scriptPath: paths.scriptPath }, outcome: first as StepOutcome };
}

/**
 * The job the task's record holds, when a round has no checkpoint to say (a cancel that came before
 * any round reported the job); `undefined` when the task has no job.
 */
export async function recordedJob(
  shell: RemoteShell,
  batch: BatchSystem,
  spec: BatchJobSpec,
  paths: JobPaths,
  signal: AbortSignal,
): Promise<SubmittedJob | undefined> {
  const answer = await shell.exec(recordedJobStep(batch, spec, paths), { signal });
  if (answer.exitCode !== 0) throw stepFailure(answer.exitCode, answer.stderr.trim(), paths);
  const id = batch.jobIdOf(answer.stdout);
  return id === undefined ? undefined : { id, scriptPath: paths.scriptPath };
}

function stepFailure(exitCode: number, stderr: string, paths: JobPaths): TaskFailure {
  const said = stderr === '' ? `exit code ${exitCode}` : stderr;
  switch (exitCode) {
    case STEP_EXIT.locked:
      return TaskFailure.retryable('JOB_SUBMISSION_LOCKED', `${said} (lock ${paths.lockPath})`);
    case STEP_EXIT.unanswered:
      return TaskFailure.retryable('BATCH_SYSTEM_UNAVAILABLE', said);
    case STEP_EXIT.unreadable:
      return TaskFailure.nonRetryable('JOB_RECORD_INVALID', said);
    default:
      // The batch system refused the job (bad partition, limits): every attempt would be refused too.
      return TaskFailure.nonRetryable(
        'JOB_SUBMISSION_FAILED',
        `the job was not submitted (exit code ${exitCode}): ${said}`,
      );
  }
}

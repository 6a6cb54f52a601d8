import { RemoteCommandError, TaskFailure, shellQuote } from '@wlm/commons';
import type { RemoteShell } from '@wlm/commons';
import type { BatchJobSpec, BatchSystem, SubmittedJob } from './batch';
import type { JobPaths } from './job-paths';

/** The job of this attempt, and whether an earlier run of the same round had submitted it already. */
export interface Submission {
  readonly job: SubmittedJob;
  readonly reused: boolean;
}

const REUSED = 'reused';
const SUBMITTED = 'submitted';

/**
 * Writes the job script and submits it — once per attempt. The job id is written beside the script
 * in the same remote command that submits, so a round that is run again (its worker died before
 * the broker heard of the outcome) finds the job rather than submitting a second one.
 */
export async function submitOnce(
  shell: RemoteShell,
  batch: BatchSystem,
  spec: BatchJobSpec,
  paths: JobPaths,
  signal: AbortSignal,
): Promise<Submission> {
  const idFile = shellQuote(paths.jobIdPath);
  const partial = shellQuote(`${paths.jobIdPath}.partial`);
  const dirs = [`${paths.workDir}/jobs`, `${paths.workDir}/logs`].map(shellQuote).join(' ');
  const command = [
    'set -e',
    `mkdir -p ${dirs}`,
    `if [ -s ${idFile} ]; then echo ${REUSED}; cat ${idFile}; exit 0; fi`,
    `cat > ${shellQuote(paths.scriptPath)}`,
    `out=$(${batch.submitCommand(paths.scriptPath, spec)})`,
    `[ -n "$out" ] || { echo 'the batch system printed no job id' >&2; exit 1; }`,
    `printf '%s\\n' "$out" > ${partial} && mv ${partial} ${idFile}`,
    `echo ${SUBMITTED}; printf '%s\\n' "$out"`,
  ].join('\n');
  let answer: string;
  try {
    answer = await shell.run(command, { stdin: batch.renderScript(spec), signal });
  } catch (error) {
    if (signal.aborted) throw error;
    throw submissionRefused(error);
  }
  const [outcome, ...printed] = answer.trim().split('\n');
  const id = outcome === REUSED || outcome === SUBMITTED ? batch.jobIdOf(printed.join('\n')) : undefined;
  if (id === undefined) {
    throw TaskFailure.retryable(
      'JOB_SUBMISSION_FAILED',
      `unexpected answer from the submission: ${answer.trim()}`,
    );
  }
  return { job: { id, scriptPath: paths.scriptPath }, reused: outcome === REUSED };
}

/** The batch system refused the job (bad partition, limits): every attempt would be refused too. */
function submissionRefused(error: unknown): unknown {
  if (!(error instanceof RemoteCommandError)) return error;
  return TaskFailure.nonRetryable(
    'JOB_SUBMISSION_FAILED',
    `the job was not submitted: ${error.message}`,
    error,
  );
}

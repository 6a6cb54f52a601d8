import { setTimeout as sleep } from 'node:timers/promises';
import { TaskContinuation, TaskFailure, WlmError } from '@wlm/commons/plugin';
import { shellQuote } from '@wlm/commons/remote';
import type { Logger } from '@wlm/commons/plugin';
import type { RemoteShell } from '@wlm/commons/remote';
import { BatchUnavailableError } from './batch';
import type { BatchSystem, JobStatus, SubmittedJob } from './batch';
import { jobCheckpoint } from './job-checkpoint';
import type { JobCheckpoint } from './job-checkpoint';
import type { MonitorSettings } from './job-params';

/** How a job that ended badly fails its task, by the batch system's state. */
const FAILURE_CODE_OF_STATE: Readonly<Record<string, string>> = {
  TIMEOUT: 'JOB_TIMED_OUT',
  DEADLINE: 'JOB_TIMED_OUT',
  NODE_FAIL: 'JOB_NODE_FAILED',
  BOOT_FAIL: 'JOB_NODE_FAILED',
  OUT_OF_MEMORY: 'JOB_OUT_OF_MEMORY',
  CANCELLED: 'JOB_CANCELLED',
  PREEMPTED: 'JOB_CANCELLED',
};

/** How much of the job's stderr a failure quotes. */
const STDERR_TAIL_BYTES = 1500;

export interface FollowOptions {
  readonly batch: BatchSystem;
  readonly job: SubmittedJob;
  readonly stderrPath: string;
  readonly monitor: MonitorSettings;
  /** Where to resume from: the previous round's poll interval and unreachable time. */
  readonly resumeFrom?: JobCheckpoint;
  /** A connection to the resource; called for every poll, since the pooled one may have dropped. */
  readonly connect: () => Promise<RemoteShell>;
  readonly progress: (message: string) => void;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly now?: () => number;
}

/** How the job ended well: the outputs the plugin adds to. */
export interface JobEnd {
  readonly status: JobStatus;
}

/**
 * Polls the job with backoff until it ends — then resolves when it completed and throws a
 * TaskFailure naming the state, exit code, reason and stderr tail when it did not — or until the
 * round has lasted `roundMs`, when it throws a TaskContinuation to carry on in a later round. An
 * unreachable resource or batch system is waited out across rounds up to `unreachableLimitMs`.
 */
export async function followJob(options: FollowOptions): Promise<JobEnd> {
  const { batch, job, monitor, signal } = options;
  const now = options.now ?? Date.now;
  const roundEnds = now() + monitor.roundMs;
  let pollMs = options.resumeFrom?.pollMs ?? monitor.pollMs;
  let unreachableSince = options.resumeFrom?.unreachableSince;
  let lastState = options.resumeFrom?.lastState;
  const label = jobLabel(batch, job);
  for (;;) {
    let status: JobStatus | undefined;
    try {
      status = await batch.status(await options.connect(), job, signal);
      unreachableSince = undefined;
    } catch (error) {
      if (signal.aborted || !isTransient(error)) throw error;
      unreachableSince ??= new Date(now()).toISOString();
      const downMs = now() - Date.parse(unreachableSince);
      if (downMs >= monitor.unreachableLimitMs) {
        throw TaskFailure.retryable(
          errorCode(error),
          `${label}: no answer for ${Math.round(downMs / 1000)} s: ${(error as Error).message}`,
          error,
        );
      }
      options.logger.warn(
        { err: error, jobId: job.id, downMs },
        'job status unavailable; asking again later',
      );
      throw new TaskContinuation({
        checkpoint: jobCheckpoint(job, pollMs, lastState, unreachableSince),
        delayMs: pollMs,
        message: `${label}: status unavailable (${(error as Error).message}); asking again in ${Math.round(pollMs / 1000)} s`,
      });
    }
    if (status === undefined) {
      throw TaskFailure.nonRetryable('JOB_VANISHED', `${label} is no longer known to the batch system`);
    }
    if (status.state !== lastState) {
      lastState = status.state;
      options.progress(`${label}: ${describe(status)}`);
    }
    if (status.phase === 'completed') return { status };
    if (status.phase === 'failed') throw await jobFailure(options, label, status);
    if (now() + pollMs > roundEnds) {
      throw new TaskContinuation({
        checkpoint: jobCheckpoint(job, pollMs, lastState, undefined),
        delayMs: pollMs,
        message: `${label}: ${describe(status)}`,
      });
    }
    await sleep(pollMs, undefined, { signal });
    pollMs = Math.min(pollMs * 2, monitor.maxPollMs);
  }
}

/** `SLURM job 42` or `process 4242`. */
export function jobLabel(batch: BatchSystem, job: SubmittedJob): string {
  return batch.kind === 'local' ? `process ${job.id}` : `${batch.kind.toUpperCase()} job ${job.id}`;
}

function describe(status: JobStatus): string {
  // SLURM shows `ExitCode=0:0` for a job that has not ended yet: only an ended job has one.
  const ended = status.phase === 'completed' || status.phase === 'failed';
  const exit = !ended || status.exitCode === undefined ? '' : ` with exit code ${status.exitCode}`;
  return `${status.state}${exit}${status.reason === undefined ? '' : ` (${status.reason})`}`;
}

/** The resource did not answer, or its batch system did not: nothing is known about the job. */
function isTransient(error: unknown): boolean {
  return error instanceof BatchUnavailableError || (error instanceof WlmError && error.retryable);
}

function errorCode(error: unknown): string {
  return error instanceof WlmError ? error.code : 'BATCH_SYSTEM_UNAVAILABLE';
}

async function jobFailure(options: FollowOptions, label: string, status: JobStatus): Promise<TaskFailure> {
  const code = FAILURE_CODE_OF_STATE[status.state] ?? 'JOB_FAILED';
  const stderr = await stderrTail(options);
  return TaskFailure.nonRetryable(
    code,
    `${label} ended ${describe(status)}${stderr === '' ? '' : `; its stderr ends with: ${stderr}`}`,
  );
}

/** Best effort: the job's stderr may be gone, or the resource unreachable again. */
async function stderrTail(options: FollowOptions): Promise<string> {
  try {
    const shell = await options.connect();
    const tail = await shell.exec(`tail -c ${STDERR_TAIL_BYTES} ${shellQuote(options.stderrPath)}`, {
      signal: options.signal,
    });
    return tail.exitCode === 0 ? tail.stdout.trim() : '';
  } catch (error) {
    options.logger.debug({ err: error }, 'could not read the job stderr');
    return '';
  }
}

import { shellQuote } from '@wlm/commons/remote';
import type { RemoteShell } from '@wlm/commons/remote';
import { scriptBody } from './batch-script';
import { BatchUnavailableError } from './batch-unavailable-error';
import type { BatchJobSpec, BatchSystem, JobPhase, JobStatus, SubmittedJob } from './batch-system';

/** SLURM job states (`man squeue`, JOB STATE CODES) by where the job is. */
const PHASE_OF_STATE: Readonly<Record<string, JobPhase>> = {
  PENDING: 'queued',
  CONFIGURING: 'queued',
  REQUEUED: 'queued',
  REQUEUE_HOLD: 'queued',
  REQUEUE_FED: 'queued',
  RESV_DEL_HOLD: 'queued',
  RUNNING: 'running',
  COMPLETING: 'running',
  SIGNALING: 'running',
  STAGE_OUT: 'running',
  RESIZING: 'running',
  SUSPENDED: 'running',
  STOPPED: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  TIMEOUT: 'failed',
  NODE_FAIL: 'failed',
  OUT_OF_MEMORY: 'failed',
  CANCELLED: 'failed',
  BOOT_FAIL: 'failed',
  DEADLINE: 'failed',
  PREEMPTED: 'failed',
  SPECIAL_EXIT: 'failed',
  REVOKED: 'failed',
};

/** The `Key=Value` fields of one `scontrol show job -o` line; values never contain spaces but for a few we do not read. */
export function parseScontrolFields(line: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const token of line.trim().split(/\s+/)) {
    const equals = token.indexOf('=');
    if (equals > 0) fields.set(token.slice(0, equals), token.slice(equals + 1));
  }
  return fields;
}

/** SLURM's `ExitCode=7:0`: the script's exit status, then the signal that ended it. */
function exitCodeOf(value: string | undefined): number | undefined {
  const match = /^(\d+):(\d+)$/.exec(value ?? '');
  if (match === null) return undefined;
  const [, status, signal] = match;
  return Number(signal) > 0 ? 128 + Number(signal) : Number(status);
}

/** A job's status from `scontrol show job -o` (or a `sacct -P` line turned into the same fields). */
export function slurmStatus(fields: ReadonlyMap<string, string>): JobStatus | undefined {
  // `CANCELLED by 0` in sacct; scontrol says `CANCELLED`.
  const state = fields.get('JobState')?.split(/[\s+]/)[0];
  if (state === undefined || state === '') return undefined;
  const exitCode = exitCodeOf(fields.get('ExitCode'));
  const reason = fields.get('Reason');
  return {
    phase: PHASE_OF_STATE[state] ?? 'running',
    state,
    ...(exitCode === undefined ? {} : { exitCode }),
    ...(reason === undefined || reason === 'None' ? {} : { reason }),
  };
}

/**
 * SLURM: `sbatch --parsable` to submit, `scontrol show job` to follow (state, exit code and reason
 * in one call, for as long as `MinJobAge` keeps a finished job), `sacct` for jobs scontrol has
 * forgotten where accounting exists, `scancel` to cancel.
 */
export class SlurmBatchSystem implements BatchSystem {
  readonly kind = 'slurm';

  renderScript(spec: BatchJobSpec): string {
    const directives = [
      `--nodes=${spec.nodes}`,
      `--cpus-per-task=${spec.cpusPerTask}`,
      ...(spec.wallTimeMinutes === undefined ? [] : [`--time=${spec.wallTimeMinutes}`]),
      ...(spec.memoryMb === undefined ? [] : [`--mem=${spec.memoryMb}M`]),
      ...(spec.queue === undefined ? [] : [`--partition=${spec.queue}`]),
    ].map((option) => `#SBATCH ${option}`);
    return [`#!/bin/bash`, ...directives, ...scriptBody(spec), ''].join('\n');
  }

  submitCommand(scriptPath: string, spec: BatchJobSpec): string {
    // Options with paths go on the command line, where the shell quotes them; `#SBATCH` lines cannot.
    return [
      'sbatch --parsable',
      `--job-name=${shellQuote(spec.name)}`,
      `--chdir=${shellQuote(spec.workDir)}`,
      `--output=${shellQuote(spec.stdoutPath)}`,
      `--error=${shellQuote(spec.stderrPath)}`,
      shellQuote(scriptPath),
    ].join(' ');
  }

  findCommand(scriptPath: string, spec: BatchJobSpec): string {
    // Every job of this name SLURM remembers (`-t all`: ended ones too, for `MinJobAge`), then the
    // one whose command is this script: the script path holds the experiment, run and task, the name
    // not the run. `&&`, not a pipe, so that a controller that does not answer fails the command.
    const pick = '{ id = $1; sub(/^[^|]*[|]/, ""); if ($0 == ENVIRON["WLM_SCRIPT"]) { print id; exit } }';
    return [
      `jobs=$(squeue -h -t all -n ${shellQuote(spec.name)} -o '%i|%o')`,
      `&& printf '%s\\n' "$jobs" | WLM_SCRIPT=${shellQuote(scriptPath)} awk -F'|' ${shellQuote(pick)}`,
    ].join(' ');
  }

  jobIdOf(printed: string): string | undefined {
    // `--parsable` prints `id` or `id;cluster` on its last line.
    const last = printed.trim().split('\n').pop()?.split(';')[0]?.trim();
    return last !== undefined && /^\d+(_\d+)?$/.test(last) ? last : undefined;
  }

  async status(shell: RemoteShell, job: SubmittedJob, signal?: AbortSignal): Promise<JobStatus | undefined> {
    const options = signal === undefined ? {} : { signal };
    const command = `scontrol show job -o ${shellQuote(job.id)}`;
    const shown = await shell.exec(command, options);
    if (shown.exitCode === 0) return slurmStatus(parseScontrolFields(shown.stdout));
    if (!/Invalid job id/i.test(shown.stderr + shown.stdout)) {
      throw new BatchUnavailableError(command, shown.exitCode, shown.stderr);
    }
    return this.accountedStatus(shell, job, options);
  }

  async cancel(shell: RemoteShell, job: SubmittedJob, signal?: AbortSignal): Promise<void> {
    await shell.run(`scancel ${shellQuote(job.id)}`, signal === undefined ? {} : { signal });
  }

  /** `sacct` knows jobs past `MinJobAge`, but only where slurmdbd keeps accounting. */
  private async accountedStatus(
    shell: RemoteShell,
    job: SubmittedJob,
    options: { signal?: AbortSignal },
  ): Promise<JobStatus | undefined> {
    const accounted = await shell.exec(
      `sacct -n -P -X -j ${shellQuote(job.id)} -o State,ExitCode,Reason 2>/dev/null`,
      options,
    );
    const [line] = accounted.stdout.split('\n').filter((row) => row.trim() !== '');
    if (accounted.exitCode !== 0 || line === undefined) return undefined;
    const [state = '', exitCode = '', reason = ''] = line.split('|');
    return slurmStatus(
      new Map([
        ['JobState', state],
        ['ExitCode', exitCode],
        ['Reason', reason],
      ]),
    );
  }
}

import type { RemoteShell } from '@wlm/commons/remote';

/** What to run, and with what, as one batch job. Paths are on the compute resource. */
export interface BatchJobSpec {
  /** The job's name in the batch system: `wlm-<experimentId>-<taskId>`, so a person can tell whose it is. */
  readonly name: string;
  /** Where the job runs (its script is written in the run directory). */
  readonly workDir: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly nodes: number;
  readonly cpusPerTask: number;
  /** Minutes; absent for the queue's default. */
  readonly wallTimeMinutes?: number;
  readonly memoryMb?: number;
  /** SLURM's partition (PBS's queue); absent for the system's default. */
  readonly queue?: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly stdoutPath: string;
  readonly stderrPath: string;
}

/** A job the batch system accepted: what following and cancelling it need. */
export interface SubmittedJob {
  readonly id: string;
  /** Where its script was written (the local adapter keeps the job's exit code beside it). */
  readonly scriptPath: string;
}

/** Where a job is: waiting or running, or ended with how. */
export type JobPhase = 'queued' | 'running' | 'completed' | 'failed';

/** A job's state as one poll of the batch system saw it. */
export interface JobStatus {
  readonly phase: JobPhase;
  /** The batch system's own name for the state, e.g. `PENDING`, `TIMEOUT`, `OUT_OF_MEMORY`. */
  readonly state: string;
  /** The job script's exit code, once it ended (when the system knows it). */
  readonly exitCode?: number;
  /** Why the job waits or ended, as the batch system says it (e.g. `Priority`, `NonZeroExitCode`). */
  readonly reason?: string;
}

/**
 * One kind of batch system on a compute resource: how to write a job script for it, submit it,
 * follow the job and cancel it, all through a shell on the resource. The job-submission plugin
 * knows only this interface; a PBS or LSF adapter is one more implementation.
 */
export interface BatchSystem {
  /** The `batchSystem` value of a compute resource that selects this adapter. */
  readonly kind: string;
  /** The job script, directives included. */
  renderScript(spec: BatchJobSpec): string;
  /**
   * The shell command that submits the script already written at `scriptPath`, printing what
   * {@link jobIdOf} reads the job id from; the plugin runs it together with its own bookkeeping.
   */
  submitCommand(scriptPath: string, spec: BatchJobSpec): string;
  /**
   * A shell command printing the id of a job the batch system knows was submitted from
   * `scriptPath` (running, queued, or ended and still remembered), nothing when it knows none, and
   * exiting non-zero when it cannot tell. Only what finds a submission whose record was never
   * written — the submitting shell was killed while the batch system took the job — asks it.
   */
  findCommand(scriptPath: string, spec: BatchJobSpec): string;
  /** The job id in what the submit command printed; `undefined` when there is none. */
  jobIdOf(printed: string): string | undefined;
  /** Polls one job; `undefined` when the batch system no longer knows it at all. */
  status(shell: RemoteShell, job: SubmittedJob, signal?: AbortSignal): Promise<JobStatus | undefined>;
  /** Cancels the job; a job that already ended is no error. */
  cancel(shell: RemoteShell, job: SubmittedJob, signal?: AbortSignal): Promise<void>;
}

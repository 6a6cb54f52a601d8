import type { TaskContext } from '@wlm/commons/plugin';

/**
 * Where one task's job keeps its files on the resource. They belong to the task, not to an attempt:
 * every attempt of the task finds the same record, so the task has one job however often it is tried.
 */
export interface JobPaths {
  /** Where the job runs: the run directory, or the task's `workDir`. */
  readonly workDir: string;
  readonly scriptPath: string;
  /**
   * The task's job record: `submitting` while a submission is under way, then `submitted` and what
   * the batch system printed. Written only under {@link lockPath}, and replaced by rename, never in place.
   */
  readonly recordPath: string;
  /** `flock`ed around "read the record, else submit and write it", so one submission wins. */
  readonly lockPath: string;
  readonly stdoutPath: string;
  readonly stderrPath: string;
}

/**
 * The task's files in its run directory `<workRoot>/<experimentId>/<run>`: script, record and lock
 * under `jobs/`, the job's output under `logs/` (ids are path-safe). The run directory, not
 * `workDir`, keys them by experiment, run and task: a `workDir` may be shared by several experiments.
 */
export function jobPaths(
  runDir: string,
  workDir: string,
  ctx: Pick<TaskContext<unknown>, 'taskId'>,
): JobPaths {
  const jobs = `${runDir}/jobs/${ctx.taskId}`;
  const logs = `${runDir}/logs/${ctx.taskId}`;
  return {
    workDir,
    scriptPath: `${jobs}.sh`,
    recordPath: `${jobs}.job`,
    lockPath: `${jobs}.lock`,
    stdoutPath: `${logs}.out`,
    stderrPath: `${logs}.err`,
  };
}

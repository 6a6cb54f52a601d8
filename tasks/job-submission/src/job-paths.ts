import type { TaskContext } from '@wlm/commons';

/** Where one attempt of a job-submission task keeps its files, on the resource. */
export interface JobPaths {
  readonly workDir: string;
  readonly scriptPath: string;
  /** Holds the job id once submitted: a repeated first round finds the job instead of submitting again. */
  readonly jobIdPath: string;
  readonly stdoutPath: string;
  readonly stderrPath: string;
}

/** Script and job id under `jobs/`, output under `logs/`, one set per attempt (ids are path-safe). */
export function jobPaths(workDir: string, ctx: Pick<TaskContext<unknown>, 'taskId' | 'attempt'>): JobPaths {
  const stem = `${ctx.taskId}.${ctx.attempt}`;
  return {
    workDir,
    scriptPath: `${workDir}/jobs/${stem}.sh`,
    jobIdPath: `${workDir}/jobs/${stem}.jobid`,
    stdoutPath: `${workDir}/logs/${stem}.out`,
    stderrPath: `${workDir}/logs/${stem}.err`,
  };
}

import type { TaskContext } from '@wlm/commons';

/**
 * `<workRoot>/<experimentId>/<run>`: the experiment's run directory on the resource. The same
 * convention as `runDirectory()` in tasks/job-submission/src/job-paths.ts and in data-staging — written
 * out in each plugin rather than imported, since plugins depend on `@wlm/commons` only.
 */
export function runDirectory(
  workRoot: string,
  ctx: Pick<TaskContext<unknown>, 'experimentId' | 'run'>,
): string {
  return `${workRoot.replace(/\/+$/, '')}/${ctx.experimentId}/${ctx.run}`;
}

/** The directories env-setup creates in a run's work directory. */
export interface RunPaths {
  readonly workDir: string;
  readonly inputsDir: string;
  readonly outputsDir: string;
  readonly logsDir: string;
}

/** `inputs/`, `outputs/` and `logs/` under `workDir` (its trailing slashes dropped). */
export function runPaths(workDir: string): RunPaths {
  const root = workDir.replace(/\/+$/, '') || '/';
  const under = (name: string): string => (root === '/' ? `/${name}` : `${root}/${name}`);
  return { workDir: root, inputsDir: under('inputs'), outputsDir: under('outputs'), logsDir: under('logs') };
}

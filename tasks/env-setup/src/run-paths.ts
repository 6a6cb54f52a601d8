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

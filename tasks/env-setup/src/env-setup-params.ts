import { z } from 'zod';

/** The params of an `env-setup` task. */
export const envSetupParamsSchema = z.strictObject({
  /** The compute resource, by the name it is configured under (`resources.<name>`). */
  resource: z.string().min(1),
  /**
   * Shell command lines run in order, from the work directory, in one shell on the resource — so a
   * `module load` or an `export` affects the commands after it. The first that fails stops the rest
   * (`set -e`: a command that fails inside `a && b` or `if` does not).
   */
  setupCommands: z.array(z.string().min(1, 'a setup command cannot be empty')).default([]),
  /**
   * The directory to prepare, on the resource; by default the experiment's run directory
   * `<workRoot>/<experimentId>/<run>`, where `job-submission` and `data-staging` look too.
   */
  workDir: z
    .string()
    .startsWith('/', 'expected an absolute path on the resource, e.g. /scratch/wlm/exp-42')
    .optional(),
});

export type EnvSetupParams = z.infer<typeof envSetupParamsSchema>;

/** The outputs of an `env-setup` task: the directories it prepared, on the resource. */
export const envSetupOutputsSchema = z.object({
  resource: z.string(),
  workDir: z.string(),
  inputsDir: z.string(),
  outputsDir: z.string(),
  logsDir: z.string(),
});

export type EnvSetupOutputs = z.infer<typeof envSetupOutputsSchema>;

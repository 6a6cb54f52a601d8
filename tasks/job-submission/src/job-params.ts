import { z } from 'zod';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

/** How the job is followed once submitted. */
const monitorSchema = z
  .strictObject({
    /** The first wait between two polls; it doubles up to `maxPollMs`. */
    pollMs: z.int().min(100).default(2_000),
    maxPollMs: z.int().min(100).default(60_000),
    /**
     * How long one round follows the job before it ends with a checkpoint and frees its worker slot:
     * well under RabbitMQ's 30-minute delivery timeout.
     */
    roundMs: z.int().min(1_000).max(1_200_000).default(300_000),
    /** How long the resource (or its batch system) may stay unreachable before the task fails. */
    unreachableLimitMs: z.int().min(1_000).default(3_600_000),
  })
  .refine((monitor) => monitor.pollMs <= monitor.maxPollMs, {
    path: ['pollMs'],
    message: 'pollMs must not exceed maxPollMs',
  });

/** The params of a `job-submission` task. */
export const jobSubmissionParamsSchema = z.strictObject({
  /** The compute resource, by the name it is configured under (`resources.<name>`). */
  resource: z.string().min(1),
  /**
   * Where the job runs, on the resource; by default the experiment's run directory
   * `<workRoot>/<experimentId>/<run>` that `env-setup` creates.
   */
  workDir: z.string().startsWith('/', 'expected an absolute path on the resource').optional(),
  /** A shell command line, run from `workDir`; `args` are appended to it, each quoted as one word. */
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  nodes: z.int().min(1).default(1),
  cpusPerTask: z.int().min(1).default(1),
  wallTimeMinutes: z.int().min(1).optional(),
  memoryMb: z.int().min(1).optional(),
  /** SLURM partition; the resource's `defaultQueue` when absent. */
  queue: z
    .string()
    .regex(
      /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/,
      'expected a queue name (letters, digits, _ . -, not starting with -)',
    )
    .optional(),
  environment: z.record(envName, z.string()).default({}),
  monitor: monitorSchema.prefault({}),
});

export type JobSubmissionParams = z.infer<typeof jobSubmissionParamsSchema>;
export type MonitorSettings = JobSubmissionParams['monitor'];

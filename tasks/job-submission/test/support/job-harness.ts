import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ComputeResources, isTaskContinuation, isTaskFailure } from '@wlm/commons/plugin';
import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import type { JsonValue, TaskContext, TaskContinuation, TaskFailure } from '@wlm/commons/plugin';
import type { ComputeResourceInput } from '@wlm/commons/remote';
import { stackComputeResource } from '@wlm/scripts';
import { plugin } from '@wlm/task-job-submission';
import { useResourceConfig } from '../../../../commons/test/integration/support/resource-config';
import type { ResourceConfig } from '../../../../commons/test/integration/support/resource-config';
import type { JobSubmissionParams } from '@wlm/task-job-submission';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

/** How one round of the plugin ended. */
export type RoundOutcome =
  | { kind: 'completed'; outputs: Record<string, unknown> }
  | { kind: 'continued'; continuation: TaskContinuation }
  | { kind: 'failed'; failure: TaskFailure };

/** The stack's SSH + SLURM compute resource, with settings replaced. */
export function stackResource(overrides: Partial<ComputeResourceInput> = {}): ComputeResourceInput {
  return { ...stackComputeResource(loadConfig(), REPO_ROOT), ...overrides };
}

/** The compute resources the rounds' contexts hold, as the worker's config would give them. */
let configured = new ComputeResources();

/**
 * The compute resources of every round's context in this test file, as a worker's config would give
 * them: each the stack's SSH + SLURM resource with some settings replaced. Set before the file's tests
 * (after the `beforeAll` hooks declared above the call, so `resources` may use what they made); the
 * shared SSH pool is closed after them.
 */
export function useJobResources(resources: () => Record<string, Partial<ComputeResourceInput>>): void {
  let config: ResourceConfig | undefined;
  beforeAll(() => {
    const overrides = Object.entries(resources());
    config = useResourceConfig(
      Object.fromEntries(overrides.map(([name, own]) => [name, stackResource(own)])),
    );
    configured = config.resources;
  });
  afterAll(async () => {
    configured = new ComputeResources();
    await config?.restore();
  });
}

/** A task of its own experiment: `experimentId` unique per call. */
export function newTask(taskId = 'simulate'): { experimentId: string; taskId: string } {
  return { experimentId: `t-job-${randomBytes(4).toString('hex')}`, taskId };
}

export interface RoundOptions {
  readonly task: { experimentId: string; taskId: string };
  readonly attempt?: number;
  /** The experiment's run; 1 unless a rerun is meant. */
  readonly run?: number;
  readonly checkpoint?: JsonValue;
  readonly signal?: AbortSignal;
  /** Every progress message, in order. */
  readonly progress?: string[];
}

function context(params: JobSubmissionParams, options: RoundOptions): TaskContext<JobSubmissionParams> {
  return {
    ...options.task,
    attempt: options.attempt ?? 1,
    run: options.run ?? 1,
    params,
    ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
    resources: configured,
    localRoots: [],
    logger: createLogger({ component: 'test', level: 'silent', pretty: false }),
    progress: (message) => options.progress?.push(message),
  };
}

/** One round of the plugin, as a worker's task process runs it (params validated first). */
export async function runRound(
  params: Record<string, unknown>,
  options: RoundOptions,
): Promise<RoundOutcome> {
  const parsed = plugin.inputSchema.parse(params);
  try {
    const outputs = await plugin.run(
      context(parsed, options),
      options.signal ?? new AbortController().signal,
    );
    return { kind: 'completed', outputs: outputs as unknown as Record<string, unknown> };
  } catch (error) {
    if (isTaskContinuation(error)) return { kind: 'continued', continuation: error };
    if (isTaskFailure(error)) return { kind: 'failed', failure: error };
    throw error;
  }
}

/** Rounds one after another, as the scheduler would place them, until one does not continue. */
export async function runToEnd(
  params: Record<string, unknown>,
  options: RoundOptions & { maxRounds: number },
): Promise<{ outcome: RoundOutcome; rounds: number }> {
  let checkpoint = options.checkpoint;
  for (let round = 1; round <= options.maxRounds; round += 1) {
    const outcome = await runRound(params, {
      ...options,
      ...(checkpoint === undefined ? {} : { checkpoint }),
    });
    if (outcome.kind !== 'continued') return { outcome, rounds: round };
    checkpoint = outcome.continuation.checkpoint;
    await new Promise((resolve) => setTimeout(resolve, outcome.continuation.delayMs));
  }
  throw new Error(`the job did not end within ${options.maxRounds} rounds`);
}

/**
 * The plugin's `cancel`, as a worker calls it for a task cancelled between rounds (without a
 * checkpoint when no round of the attempt reported one).
 */
export async function cancelBetweenRounds(
  params: Record<string, unknown>,
  options: RoundOptions,
): Promise<void> {
  const cancel = plugin.cancel;
  if (cancel === undefined) throw new Error('job-submission has no cancel');
  await cancel(context(plugin.inputSchema.parse(params), options), new AbortController().signal);
}

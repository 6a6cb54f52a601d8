import type { Logger } from '../logging';
import type { JsonValue } from '../wire';
import type { z } from 'zod';
import type { ComputeResources } from './compute-resources';

/** What a plugin's `run` knows about the task it is running. */
export interface TaskContext<Input> {
  readonly experimentId: string;
  /** The task's id within its experiment's DAG. */
  readonly taskId: string;
  /**
   * 1 for the first run of this task, 2 for its first retry, and so on — the same number on every
   * worker, so a plugin can decide on it deterministically.
   */
  readonly attempt: number;
  /** The experiment's run: 1 for its first, one more for each rerun. */
  readonly run: number;
  /**
   * Set on every round after the first of a task that ends its rounds with a `TaskContinuation`:
   * the checkpoint the previous round saved.
   */
  readonly checkpoint?: JsonValue;
  /** The params, already validated (and defaulted) by the plugin's `inputSchema`. */
  readonly params: Input;
  /** A scratch directory for this task, when the worker provides one. */
  readonly workDir?: string;
  /**
   * The compute resources of the worker running the task (its `resources` config), by name:
   * `ctx.resources.get('hpc')`. Plugins get their settings here, never from the worker's config.
   */
  readonly resources: ComputeResources;
  /**
   * Absolute directories of the worker's own disk that tasks may read and write (its
   * `staging.localRoots`); empty unless the worker's operator names some.
   */
  readonly localRoots: readonly string[];
  /** Scoped to this task (experimentId, taskId, attempt); lines end up in the worker's log. */
  readonly logger: Logger;
  /** Reports progress to the worker; cheap, but meant for human-scale steps, not per item. */
  progress(message: string, percent?: number): void;
}

/**
 * A task type: one plugin package provides one. The worker validates `params` against `inputSchema`
 * before `run`, and the result against `outputSchema` (when given) after it.
 *
 * `run` must honour `signal`: it is aborted when the task is cancelled or runs past its timeout, or
 * its worker stops, and the worker kills the task's process when `run` does not return soon after.
 * The signal's reason is a `TaskAbort` saying which: only a cancel (`isTaskCancelled(signal)`)
 * abandons the task; after the others it runs again from its last checkpoint. Throw a
 * {@link TaskFailure} to fail on purpose with a stable code and a retryable flag, or a
 * `TaskContinuation` to end this round and carry on later from a checkpoint. The outputs must be
 * JSON values (they travel in a `TaskEvent`); anything else fails the task as `TASK_OUTPUT_INVALID`.
 */
export interface TaskPlugin<Input = unknown, Output = unknown> {
  /** The task type that DAG nodes name, e.g. `echo`: a lower-case letter, then `a-z 0-9 _ . -`. */
  readonly name: string;
  /** The plugin's version, `MAJOR.MINOR.PATCH[-pre]`, advertised to the scheduler. */
  readonly version: string;
  readonly description: string;
  readonly inputSchema: z.ZodType<Input>;
  readonly outputSchema?: z.ZodType<Output>;
  // Method syntax on purpose: it makes a TaskPlugin<Specific> assignable to TaskPlugin<unknown>.
  run(ctx: TaskContext<Input>, signal: AbortSignal): Promise<Output>;
  /**
   * Releases what a checkpoint holds (cancels a batch job) when the task is cancelled between two
   * rounds; `ctx.checkpoint` is set. A cancel during a round aborts `run`'s signal instead, and `run`
   * cleans up itself. Optional: plugins that never continue have nothing to release.
   */
  cancel?(ctx: TaskContext<Input>, signal: AbortSignal): Promise<void>;
}

/**
 * Returns `plugin` unchanged; it exists so that `run`'s params type is inferred from `inputSchema`
 * (and the outputs type from `run`) without plugin authors spelling either out.
 */
export function definePlugin<Input, Output>(plugin: TaskPlugin<Input, Output>): TaskPlugin<Input, Output> {
  return plugin;
}

import { ComputeResources } from '@wlm/commons/plugin';
import { computeResourcesSchema, sharedSshPool } from '@wlm/commons/remote';
import type { ComputeResourceInput } from '@wlm/commons/remote';

/** What {@link useResourceConfig} hands plugins run in-process, and its undoing. */
export interface ResourceConfig {
  /** For the task's context: `ctx.resources`. */
  readonly resources: ComputeResources;
  /** For the task's context: `ctx.localRoots`, the worker's `staging.localRoots`. */
  readonly localRoots: readonly string[];
  /** Closes the shared SSH pool the plugins connected through. */
  restore(): Promise<void>;
}

/**
 * These compute resources (validated as the worker's config validates them) and `localRoots`, as a
 * worker hands them to its tasks' contexts, for plugins run in-process.
 */
export function useResourceConfig(
  resources: Record<string, ComputeResourceInput>,
  localRoots: readonly string[] = [],
): ResourceConfig {
  return {
    resources: new ComputeResources(computeResourcesSchema.parse(resources)),
    localRoots,
    async restore() {
      await sharedSshPool().close();
    },
  };
}

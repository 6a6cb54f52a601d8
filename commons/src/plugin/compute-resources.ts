import { computeResource } from '../remote/compute-resource';
import type { ComputeResource, ComputeResourcesConfig } from '../remote/compute-resource';
import { taskFailureOf } from './task-failure-of';

/**
 * The compute resources a task may use: those of the worker running it (its `resources` config),
 * which the worker hands to each task with its context (`ctx.resources`). Plugins look resources
 * up here and never read the worker's config themselves.
 *
 * @example
 * ```ts
 * async run(ctx, signal) {
 *   const resource = ctx.resources.get(ctx.params.resource); // fails the task when not configured
 *   const ssh = await sharedSshPool().connect(resource, signal);
 * }
 * ```
 */
export class ComputeResources {
  /** `resources`: the validated `resources` section (`computeResourcesSchema`); none by default. */
  constructor(private readonly resources: ComputeResourcesConfig = {}) {}

  /** The names of the configured resources, sorted. */
  get names(): string[] {
    return Object.keys(this.resources).sort();
  }

  /**
   * The resource named `name`.
   *
   * @throws TaskFailure `RESOURCE_UNKNOWN`, not retryable, naming `name`, the configured resources
   * and where to configure it; its `cause` is the `ComputeResourceError`.
   */
  get(name: string): ComputeResource {
    try {
      return computeResource(this.resources, name);
    } catch (error) {
      throw taskFailureOf(error);
    }
  }
}

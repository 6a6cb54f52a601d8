import { loadConfig } from '../config/load-config';
import { taskFailureOf } from '../plugin/task-failure-of';
import { computeResource } from './compute-resource';
import type { ComputeResource } from './compute-resource';

/**
 * The compute resource a task plugin names, from the worker's config (`$WLM_CONFIG`). An unknown
 * name or an invalid config fails the task, not retried, with the message naming what to fix.
 */
export function resourceForTask(name: string): ComputeResource {
  try {
    return computeResource(loadConfig(), name);
  } catch (error) {
    throw taskFailureOf(error);
  }
}

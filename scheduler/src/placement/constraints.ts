import { satisfiesMinVersion } from '@wlm/commons/advertisement';
import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import type { PlacementRequest } from './placement-request';

/**
 * True when `worker` can run `request`: it advertises the task type, every required label with the
 * same value, and a plugin at least as new as `minPluginVersion`. Free slots are not considered here.
 *
 * @throws MessageValidationError when `minPluginVersion` is not a semantic version.
 */
export function canRun(worker: WorkerAdvertisement, request: PlacementRequest): boolean {
  // `hasOwn`, not `in` or a plain read: a task type named "constructor" must not find Object.prototype's.
  if (!Object.hasOwn(worker.taskTypes, request.taskType)) return false;
  const constraints = request.constraints;
  if (constraints === undefined) return true;
  if (constraints.labels !== undefined) {
    const labels = constraints.labels;
    // `for…in` rather than `Object.entries`: this runs per candidate per request and allocates nothing.
    for (const name in labels) {
      if (!Object.hasOwn(labels, name)) continue;
      if (!Object.hasOwn(worker.labels, name) || worker.labels[name] !== labels[name]) return false;
    }
  }
  const version = worker.taskTypes[request.taskType];
  const min = constraints.minPluginVersion;
  return min === undefined || (version !== undefined && satisfiesMinVersion(version, min));
}

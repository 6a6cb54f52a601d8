import type { WorkerAdvertisement } from '@wlm/commons/advertisement';

/** A worker's advertisement for the placement tests. */
export function worker(
  workerId: string,
  taskTypes: Record<string, string>,
  freeSlots = 1,
  labels: Record<string, string> = {},
  slots = Math.max(1, freeSlots),
): WorkerAdvertisement {
  return { role: 'worker', workerId, queue: `wlm.worker.${workerId}`, slots, freeSlots, taskTypes, labels };
}

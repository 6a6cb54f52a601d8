/**
 * Worker advertisements: what a worker publishes about itself as Serf tags, and how the scheduler
 * reads them back.
 *
 * @example
 * ```ts
 * const tags = encodeAdvertisementTags({
 *   role: 'worker', workerId: 'w1', queue: 'wlm.worker.w1', slots: 4, freeSlots: 4,
 *   taskTypes: { echo: '1.0.0' }, labels: { site: 'bigred' },
 * }); // { r: 'worker', v: '1', w: 'w1', q: 'wlm.worker.w1', s: '4', f: '4', t: 'echo@1.0.0', l: 'site=bigred' }
 * const ad = decodeAdvertisementTags(member.Tags); // undefined for a member that is not a worker
 * ```
 */
export {
  ADVERTISEMENT_FORMAT,
  ADVERTISEMENT_TAGS,
  decodeAdvertisementTags,
  encodeAdvertisementTags,
} from './advertisement-tags';
export { MAX_CONTROLLER_EXCHANGES, controllersToMeet, exchangeWithControllers } from './controller-exchange';
export type { MemberAddress } from './controller-exchange';
export { isPluginVersion, satisfiesMinVersion } from './plugin-version';
export { SERF_TAGS_MAX_BYTES, serfTagsSize } from './serf-tags-size';
export { pluginVersionSchema, workerAdvertisementSchema } from './worker-advertisement';
export type { WorkerAdvertisement } from './worker-advertisement';
export {
  WORKER_DIED_EVENT,
  WORKER_UP_EVENT,
  incarnationOf,
  newIncarnation,
  workerNodeName,
} from './worker-incarnation';

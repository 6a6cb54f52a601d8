import { decodeAdvertisementTags } from '@wlm/commons/advertisement';
import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import type { WlmTopology } from '@wlm/commons/amqp';
import { formatHostPort } from '@wlm/commons/net';
import type { SerfMember } from '@wlm/commons/serf';

/** A worker as the registry knows it: its Serf member and its decoded advertisement. */
export interface WorkerView {
  readonly workerId: string;
  /** The Serf node name (usually the worker id). */
  readonly memberName: string;
  /** The worker's gossip address, `host:port`. */
  readonly address: string;
  readonly advertisement: WorkerAdvertisement;
}

/** Why a member is not a worker of this installation, or the worker it is. */
export type MemberReading =
  | { readonly kind: 'worker'; readonly worker: WorkerView }
  | { readonly kind: 'other' }
  | { readonly kind: 'foreign'; readonly queue: string }
  | { readonly kind: 'invalid'; readonly error: unknown };

/**
 * Reads a Serf member as a worker of `topology`'s installation. A worker whose advertised queue is
 * not `topology.workerQueue(id)` belongs to another namespace sharing the Serf cluster (another
 * installation, or a test), so it is `foreign` and never given work.
 */
export function readMember(member: SerfMember, topology: WlmTopology): MemberReading {
  let advertisement: WorkerAdvertisement | undefined;
  try {
    advertisement = decodeAdvertisementTags(member.tags);
  } catch (error) {
    return { kind: 'invalid', error };
  }
  if (advertisement === undefined) return { kind: 'other' };
  let expectedQueue: string;
  try {
    expectedQueue = topology.workerQueue(advertisement.workerId);
  } catch (error) {
    return { kind: 'invalid', error };
  }
  if (advertisement.queue !== expectedQueue) return { kind: 'foreign', queue: advertisement.queue };
  const address = formatHostPort({ host: member.addr, port: member.port });
  return {
    kind: 'worker',
    worker: { workerId: advertisement.workerId, memberName: member.name, address, advertisement },
  };
}

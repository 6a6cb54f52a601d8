import { formatHostPort } from '../net/host-port';
import type { SerfMember, SerfRpcClient } from '../serf';
import { ADVERTISEMENT_TAGS } from './advertisement-tags';

/** A worker exchanges state with at most this many controllers' agents; gossip tells any others. */
export const MAX_CONTROLLER_EXCHANGES = 16;

/** What choosing the controllers reads of a member. */
export type MemberAddress = Pick<SerfMember, 'addr' | 'port' | 'status' | 'tags'>;

/** The `host:port` Serf's `join` takes for a member. */
function gossipAddressOf(member: MemberAddress): string {
  return formatHostPort({ host: member.addr, port: member.port });
}

/**
 * The controllers' agents (schedulers', orchestrators': alive members that advertise no worker) a
 * worker's agent has not exchanged state with yet, by gossip address, at most
 * {@link MAX_CONTROLLER_EXCHANGES}.
 */
export function controllersToMeet(
  members: readonly MemberAddress[],
  joinedThrough: readonly string[],
): string[] {
  const met = new Set(joinedThrough);
  return members
    .filter((member) => member.status === 'alive' && member.tags[ADVERTISEMENT_TAGS.role] !== 'worker')
    .map(gossipAddressOf)
    .filter((address) => !met.has(address))
    .slice(0, MAX_CONTROLLER_EXCHANGES);
}

/**
 * Makes a worker's agent, just joined through `joinedThrough`, exchange state directly with every
 * other controller's agent; resolves with the addresses it asked the agent to join (Serf's `join`
 * rejects only when it reached none of them).
 *
 * A join reaches the rest of the cluster by gossip, and in Serf's `local` profile a member passes
 * each message on to two others only. In a small cluster a scheduler's agent misses it now and then
 * and hears of the worker at its next push-pull, 15–20 s later; meanwhile that scheduler gives the
 * worker nothing. One TCP exchange per controller makes each of them know the worker at once. The
 * join itself brought the whole membership, so the agent already knows where the controllers are.
 * Each controller that cannot be reached costs up to Serf's TCP timeout (1 s in the `local` profile)
 * and learns by gossip all the same: a caller logs a rejection and goes on.
 */
export async function exchangeWithControllers(
  serf: SerfRpcClient,
  joinedThrough: readonly string[],
): Promise<string[]> {
  const addresses = controllersToMeet(await serf.members(), joinedThrough);
  if (addresses.length > 0) await serf.join(addresses);
  return addresses;
}

import { aliveMembersOf } from '@wlm/test-support';
import type { SerfAgent } from '@wlm/test-support';

/**
 * A rejection handler for a wait on what schedulers know of workers: rethrows the timeout with what
 * each of `agents` lists, to tell a join its agent never heard of (gossip catches up at the next
 * push-pull) from one the scheduler missed.
 */
export function withAgentMembers(agents: readonly SerfAgent[]): (error: unknown) => Promise<never> {
  return async (error) => {
    throw new Error(`${String(error)}; the agents list ${JSON.stringify(await aliveMembersOf(agents))}`);
  };
}

import { SerfRpcClient } from '@wlm/commons/serf';
import type { SerfAgent } from '@wlm/test-support';

/**
 * The alive members each agent lists, by agent name: printed when a scheduler does not hear of a
 * worker in time, to tell a join its agent never heard of (gossip catches up at the next push-pull)
 * from one the scheduler missed.
 */
export async function aliveMembersOf(agents: readonly SerfAgent[]): Promise<Record<string, string[]>> {
  const lists: Record<string, string[]> = {};
  for (const agent of agents) {
    const client = await SerfRpcClient.connect(agent.rpcClientOptions());
    try {
      lists[agent.name] = (await client.members()).filter((m) => m.status === 'alive').map((m) => m.name);
    } finally {
      await client.close();
    }
  }
  return lists;
}

/**
 * A rejection handler for a wait on what schedulers know of workers: rethrows the timeout with what
 * each of `agents` lists.
 */
export function withAgentMembers(agents: readonly SerfAgent[]): (error: unknown) => Promise<never> {
  return async (error) => {
    throw new Error(`${String(error)}; the agents list ${JSON.stringify(await aliveMembersOf(agents))}`);
  };
}

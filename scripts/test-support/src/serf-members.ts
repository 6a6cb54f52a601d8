import { SerfRpcClient } from '@wlm/commons/serf';
import type { SerfAgent } from './serf-agent';

/** The names of the alive members `agent` lists, read on a client of its own that is closed after. */
export async function aliveMemberNames(agent: SerfAgent): Promise<string[]> {
  const client = await SerfRpcClient.connect(agent.rpcClientOptions());
  try {
    return (await client.members()).filter((m) => m.status === 'alive').map((m) => m.name);
  } finally {
    await client.close();
  }
}

/**
 * The alive members each agent lists, by agent name: what a test prints when a member is not heard of
 * in time, to tell a join an agent never heard of (gossip catches up at the next push-pull) from one
 * the process under test missed.
 */
export async function aliveMembersOf(agents: readonly SerfAgent[]): Promise<Record<string, string[]>> {
  const lists: Record<string, string[]> = {};
  for (const agent of agents) lists[agent.name] = await aliveMemberNames(agent);
  return lists;
}

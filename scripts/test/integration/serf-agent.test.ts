import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { SerfRpcClient, serfAgentConfig } from '@wlm/commons/serf';
import { SerfAgent, SerfAgents, eventually, installationKeys } from '@wlm/test-support';

/*
 * The tests' one Serf-agent launcher, against real `serf agent` processes: configured as wlm
 * configures its agents, joined, reaped with its config dir, and a start that fails says why.
 */

const prefix = `serf-launcher-${randomBytes(3).toString('hex')}`;
const agents = new SerfAgents();
const clients: SerfRpcClient[] = [];

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await agents.stopAll();
});

async function clientOf(agent: SerfAgent): Promise<SerfRpcClient> {
  const client = await SerfRpcClient.connect(agent.rpcClientOptions());
  clients.push(client);
  return client;
}

it('starts an agent with the config wlm writes for its own, keyed with the installation’s keys', async () => {
  const seed = await agents.start({ name: `${prefix}-seed`, tags: { role: 'seed' } });
  expect(JSON.parse(readFileSync(seed.configFile, 'utf8'))).toEqual(serfAgentConfig(installationKeys()));
  const members = await (await clientOf(seed)).members();
  expect(members).toEqual([
    expect.objectContaining({ name: seed.name, status: 'alive', tags: { role: 'seed' } }),
  ]);
});

it('joins another agent’s cluster through its gossip address', async () => {
  const seed = await agents.start({ name: `${prefix}-a` });
  const peer = await agents.start({ name: `${prefix}-b`, join: [seed.bindAddr] });
  const client = await clientOf(seed);
  // The agent joins right after it opens its RPC port, so the seed may learn of it a moment later.
  const names = await eventually(
    'the peer in the seed’s member list',
    async () => (await client.members()).map((member) => member.name).sort(),
    (seen) => seen.length === 2,
    10_000,
  );
  expect(names).toEqual([seed.name, peer.name].sort());
});

it('reaps the process and removes its config dir on stop, and stops again harmlessly', async () => {
  const agent = await SerfAgent.start({ name: `${prefix}-stopped`, keys: {} });
  await agent.stop();
  expect(agent.running).toBe(false);
  expect(existsSync(agent.configFile)).toBe(false);
  await expect(agent.stop()).resolves.toBeUndefined();
});

it('fails a start whose agent exits, naming the agent and showing its output', async () => {
  const holder = await agents.start({ name: `${prefix}-holder` });
  const start = SerfAgent.start({ name: `${prefix}-clash`, bindPort: holder.bindPort });
  await expect(start).rejects.toThrow(
    new RegExp(
      `serf agent ${prefix}-clash exited before opening 127\\.0\\.0\\.1:\\d+: exit code 1; its output:\\n.*address already in use`,
      's',
    ),
  );
});

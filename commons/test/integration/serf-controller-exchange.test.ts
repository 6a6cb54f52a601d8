import { exchangeWithControllers } from '@wlm/commons/advertisement';
import { SerfRpcClient } from '@wlm/commons/serf';
import { SerfAgents, aliveMemberNames, waitFor } from '@wlm/test-support';
import type { SerfAgent } from '@wlm/test-support';

/*
 * A worker's agent joins a cluster of three controllers' agents and one other worker through the
 * first controller, then meets the others directly: each controller lists it at once, without
 * waiting for gossip. Real `serf agent` processes on free 127.0.0.1 ports.
 */

jest.setTimeout(60_000);

const prefix = `wlm-exchange-it-${process.pid}`;
const agents = new SerfAgents();
const clients: SerfRpcClient[] = [];

async function clientOf(agent: SerfAgent): Promise<SerfRpcClient> {
  const client = await SerfRpcClient.connect(agent.rpcClientOptions());
  clients.push(client);
  return client;
}

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await agents.stopAll();
});

it('makes every controller’s agent know a joined worker at once, and skips the other workers', async () => {
  const controllers = [
    await agents.start({ name: `${prefix}-ctl-1` }),
    await agents.start({ name: `${prefix}-ctl-2` }),
    await agents.start({ name: `${prefix}-ctl-3` }),
  ];
  const [first, ...others] = controllers as [SerfAgent, ...SerfAgent[]];
  const otherWorker = await agents.start({ name: `${prefix}-w0`, tags: { r: 'worker', w: 'w0' } });
  for (const agent of [...others, otherWorker]) await (await clientOf(agent)).join([first.bindAddr]);
  await waitFor('every member to list the four', async () => {
    const lists = await Promise.all([...controllers, otherWorker].map(aliveMemberNames));
    return lists.every((names) => names.length === 4);
  });

  const worker = await agents.start({ name: `${prefix}-w1`, tags: { r: 'worker', w: 'w1' } });
  const serf = await clientOf(worker);
  await serf.join([first.bindAddr]);
  const met = await exchangeWithControllers(serf, [first.bindAddr]);

  expect(met.sort()).toEqual(others.map((agent) => agent.bindAddr).sort());
  // One read each, straight after: gossip alone would take a round or more, and now and then 15 s.
  for (const controller of controllers) expect(await aliveMemberNames(controller)).toContain(worker.name);
});

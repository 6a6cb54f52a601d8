import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { declareTopology, deleteTopology } from '@wlm/commons/amqp';
import { loadConfig } from '@wlm/commons/config';
import { BenchNamespace } from '../../bench-namespace';

/*
 * The bench refuses to start on a namespace another wlm (or another bench) is running on: against
 * the real broker, with a consumer on one of the namespace's central queues.
 */

jest.setTimeout(30_000);

const config = loadConfig();
const space = new BenchNamespace(`benchns-${randomUUID().slice(0, 8)}`, config);
let model: ChannelModel | undefined;

afterAll(async () => {
  if (model === undefined) return;
  await deleteTopology(await model.createChannel(), space.topology.core()).catch(() => undefined);
  await model.close();
});

it('starts on a namespace nobody has used', async () => {
  await expect(space.refuseWhenInUse()).resolves.toBeUndefined();
});

it('refuses a namespace whose queues have a consumer, naming the queue, and starts once it is gone', async () => {
  model = await connect(config.rabbitmq.url);
  const channel = await model.createChannel();
  await declareTopology(channel, space.topology.core());
  const { orchestratorEvents } = space.topology.queues;
  const { consumerTag } = await channel.consume(orchestratorEvents, () => undefined);

  await expect(space.refuseWhenInUse()).rejects.toThrow(
    `another wlm runs on namespace "${space.namespace}" (1 consumer(s) on ${orchestratorEvents})`,
  );

  await channel.cancel(consumerTag);
  await expect(space.refuseWhenInUse()).resolves.toBeUndefined();
});

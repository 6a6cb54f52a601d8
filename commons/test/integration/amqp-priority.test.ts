import { z } from 'zod';
import type { AmqpConnection, WlmTopology } from '@wlm/commons/amqp';
import { waitFor } from '@wlm/test-support';
import { BrokerProbe, connectForTest, isolatedTopology } from './amqp-test-support';

const probeMessage = z.object({ v: z.literal(1), id: z.int(), priority: z.int() });

describe('priority queues', () => {
  let topology: WlmTopology;
  let amqp: AmqpConnection;
  let probe: BrokerProbe;

  beforeAll(async () => {
    topology = isolatedTopology('priority');
    probe = await BrokerProbe.open();
    amqp = await connectForTest(topology.worker('w1'));
  });

  afterAll(async () => {
    await amqp.close();
    await probe.deleteAll(topology.worker('w1'));
    await probe.deleteAll(topology.core());
    await probe.close();
  });

  it('delivers a backlog highest priority first, FIFO within a priority', async () => {
    // A worker queue is declared with the worker; the DLX and dead-letter queue come from core().
    await amqp.declare(topology.core());
    const queue = topology.workerQueue('w1');
    const perPriority = 10;
    // Lowest priority published first, so arrival order alone would give the opposite result.
    const publishes: Promise<void>[] = [];
    let id = 0;
    for (let round = 0; round < perPriority; round++) {
      for (let priority = 0; priority <= 9; priority++) {
        publishes.push(
          amqp.publishMessage('', queue, probeMessage, { v: 1, id: id++, priority }, { priority }),
        );
      }
    }
    await Promise.all(publishes);
    expect(await probe.messageCount(queue)).toBe(id);

    const order: { id: number; priority: number }[] = [];
    // Prefetch 1: the broker picks the next message only when asked, as a busy worker would.
    await amqp.consume(
      queue,
      probeMessage,
      (message) => {
        order.push({ id: message.id, priority: message.priority });
      },
      { prefetch: 1 },
    );
    await waitFor('the whole backlog', () => order.length === id);

    const priorities = order.map((message) => message.priority);
    expect(priorities).toEqual([...priorities].sort((a, b) => b - a));
    for (let priority = 0; priority <= 9; priority++) {
      const ids = order.filter((message) => message.priority === priority).map((message) => message.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
    expect(priorities[0]).toBe(9);
  });
});

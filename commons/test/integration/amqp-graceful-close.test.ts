import { z } from 'zod';
import { AmqpPublishError } from '@wlm/commons/errors';
import type { WlmTopology } from '@wlm/commons/amqp';
import { waitFor } from '@wlm/test-support';
import { BrokerProbe, connectForTest, deferred, isolatedTopology } from './amqp-test-support';

const probeMessage = z.object({ v: z.literal(1), id: z.int() });

describe('AmqpConnection.close', () => {
  let topology: WlmTopology;
  let probe: BrokerProbe;

  beforeAll(async () => {
    topology = isolatedTopology('close');
    probe = await BrokerProbe.open();
  });

  afterAll(async () => {
    await probe.deleteAll(topology.core());
    await probe.close();
  });

  it('waits for an in-flight handler (and what it publishes) before closing, then acks', async () => {
    const amqp = await connectForTest(topology.core());
    const queue = topology.queues.schedulerRequests;
    const events = topology.queues.schedulerControl;
    const release = deferred();
    let started = false;
    let finished = false;
    await amqp.consume(queue, probeMessage, async (message) => {
      started = true;
      await release.promise;
      // A worker publishes its terminal event before acking; that must still work while closing.
      await amqp.publishMessage('', events, probeMessage, { v: 1, id: message.id + 1000 });
      finished = true;
    });
    await amqp.publishMessage('', queue, probeMessage, { v: 1, id: 1 });
    await waitFor('the handler to start', () => started);

    let closed = false;
    const closing = amqp.close();
    void closing.then(() => {
      closed = true;
    });
    expect(amqp.close()).toBe(closing);
    // Proves an absence: close() must not settle while the handler still runs.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(closed).toBe(false);
    expect(amqp.state).toBe('closing');
    await expect(amqp.consume(queue, probeMessage, () => undefined)).rejects.toMatchObject({
      code: 'SHUTTING_DOWN',
    });

    release.resolve();
    await closing;
    expect(finished).toBe(true);
    expect(amqp.state).toBe('closed');
    // Acked, not requeued; and the handler's own publish was confirmed before the close.
    expect(await probe.messageCount(queue)).toBe(0);
    expect(await probe.messageCount(events)).toBe(1);
    await expect(amqp.publish('', queue, Buffer.from('{}'))).rejects.toBeInstanceOf(AmqpPublishError);
    await expect(amqp.publish('', queue, Buffer.from('{}'))).rejects.toMatchObject({ failure: 'closed' });
  });

  it('gives up on a hung handler after closeTimeoutMs; the broker redelivers its message', async () => {
    const amqp = await connectForTest(topology.core(), { closeTimeoutMs: 500 });
    const queue = topology.queues.orchestratorEvents;
    const never = deferred();
    let started = false;
    await amqp.consume(queue, probeMessage, async () => {
      started = true;
      await never.promise;
    });
    await amqp.publishMessage('', queue, probeMessage, { v: 1, id: 2 });
    await waitFor('the handler to start', () => started);

    const startedAt = Date.now();
    await amqp.close();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(450);
    expect(amqp.state).toBe('closed');
    await waitFor('the message back in its queue', async () => (await probe.messageCount(queue)) === 1);
    never.resolve();
  });
});

describe('ConsumerHandle.cancel', () => {
  let topology: WlmTopology;
  let probe: BrokerProbe;

  beforeAll(async () => {
    topology = isolatedTopology('cancel');
    probe = await BrokerProbe.open();
  });

  afterAll(async () => {
    await probe.deleteAll(topology.core());
    await probe.close();
  });

  it("gives a hung handler's delivery back after handlerTimeoutMs; the connection stays up", async () => {
    const amqp = await connectForTest(topology.core());
    const queue = topology.queues.orchestratorEvents;
    const never = deferred();
    let started = false;
    try {
      const consumer = await amqp.consume(queue, probeMessage, async () => {
        started = true;
        await never.promise;
      });
      await amqp.publishMessage('', queue, probeMessage, { v: 1, id: 3 });
      await waitFor('the handler to start', () => started);

      await consumer.cancel({ handlerTimeoutMs: 200 });
      expect(amqp.state).toBe('connected');
      // Back in the queue for another consumer, although the handler still runs.
      const received: number[] = [];
      const heir = await amqp.consume(queue, probeMessage, (message) => void received.push(message.id));
      await waitFor('the delivery to reach the next consumer', () => received.length === 1);
      expect(received).toEqual([3]);
      await heir.cancel();
    } finally {
      never.resolve();
      await amqp.close();
    }
  });
});

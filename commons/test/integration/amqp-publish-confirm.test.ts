import { z } from 'zod';
import { AmqpPublishError, AmqpUnavailableError } from '@wlm/commons/errors';
import type { AmqpConnection, WlmTopology } from '@wlm/commons/amqp';
import { waitFor } from '@wlm/test-support';
import { BrokerProbe, connectForTest, isolatedTopology } from './amqp-test-support';

const probeMessage = z.object({ v: z.literal(1), id: z.int() });

describe('AmqpConnection publishing with confirms', () => {
  let topology: WlmTopology;
  let amqp: AmqpConnection;
  let probe: BrokerProbe;

  beforeAll(async () => {
    topology = isolatedTopology('confirm');
    probe = await BrokerProbe.open();
    // A small window makes the bound on unconfirmed messages actually bite.
    amqp = await connectForTest(topology.core(), { maxUnconfirmed: 64 });
  });

  afterAll(async () => {
    await amqp.close();
    await probe.deleteAll(topology.core());
    await probe.close();
  });

  it('confirms N concurrent publishes and delivers each exactly once', async () => {
    const total = 3000;
    const queue = topology.queues.schedulerRequests;
    const seen = new Map<number, number>();
    const consumer = await amqp.consume(
      queue,
      probeMessage,
      (message) => {
        seen.set(message.id, (seen.get(message.id) ?? 0) + 1);
      },
      { prefetch: 200 },
    );

    const confirms = Array.from({ length: total }, (_, id) =>
      amqp.publishMessage('', queue, probeMessage, { v: 1, id }, { priority: id % 10 }),
    );
    await expect(Promise.all(confirms)).resolves.toHaveLength(total);

    await waitFor(`${total} deliveries`, () => seen.size === total);
    // Give a duplicate the chance to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    await consumer.cancel();
    expect(await probe.messageCount(queue)).toBe(0);
  });

  it('rejects an unroutable publish as unroutable and not retryable', async () => {
    const publish = amqp.publish('', `${topology.namespace}.no-such-queue`, Buffer.from('{}'));
    await expect(publish).rejects.toBeInstanceOf(AmqpPublishError);
    await expect(publish).rejects.toMatchObject({ failure: 'unroutable', retryable: false });
  });

  it('gives up on a publish to a missing exchange while the messages around it get through', async () => {
    const queue = topology.queues.deadLetter;
    const before = await probe.messageCount(queue);
    const good = Array.from({ length: 20 }, () =>
      amqp.publish(topology.exchanges.deadLetter, 'x', Buffer.from('{}')),
    );
    const bad = amqp.publish(`${topology.namespace}.no-such-exchange`, 'x', Buffer.from('{}'));
    await expect(bad).rejects.toMatchObject({ failure: 'channel-error' });
    await expect(Promise.all(good)).resolves.toHaveLength(20);
    // At least once: the broker drops the confirms of messages routed just before the failing one,
    // so those are sent again and may arrive twice.
    expect(await probe.messageCount(queue)).toBeGreaterThanOrEqual(before + 20);
    // The publisher is still usable afterwards.
    await expect(
      amqp.publish(topology.exchanges.deadLetter, 'y', Buffer.from('{}')),
    ).resolves.toBeUndefined();
  });

  it('fails a start against an unreachable broker fast, naming it without the password', async () => {
    const attempt = connectForTest(topology.core(), {
      url: 'amqp://guest:secret@127.0.0.1:1',
      reconnect: { initialDelayMs: 10, maxDelayMs: 20, initialRetries: 2 },
    });
    await expect(attempt).rejects.toBeInstanceOf(AmqpUnavailableError);
    await expect(attempt).rejects.toMatchObject({
      retryable: true,
      url: expect.stringContaining('guest:***@'),
    });
    await expect(attempt).rejects.not.toThrow(/secret/);
  });
});

import { z } from 'zod';
import type { AmqpConnection, WlmTopology } from '@wlm/commons/amqp';
import { forceCloseConnections, waitFor } from '@wlm/test-support';
import { BrokerProbe, connectForTest, isolatedTopology } from './amqp-test-support';

const probeMessage = z.object({ v: z.literal(1), id: z.int() });

// The broker force-closes our connection exactly as `rabbitmqctl close_all_connections` would
// (CONNECTION_FORCED), but only ours, so test files running in parallel keep theirs.
describe('AmqpConnection across a forced connection close', () => {
  let topology: WlmTopology;
  let amqp: AmqpConnection;
  let connectionName: string;
  const received = new Set<number>();
  let deliveries = 0;
  let published = 0;
  let confirmed = 0;
  const confirms: Promise<void>[] = [];

  function publishNext(): void {
    const id = published++;
    confirms.push(
      amqp.publishMessage('', topology.queues.schedulerRequests, probeMessage, { v: 1, id }).then(() => {
        confirmed++;
      }),
    );
  }

  beforeAll(async () => {
    topology = isolatedTopology('reconnect');
    connectionName = `wlm-test-${topology.namespace}`;
    amqp = await connectForTest(topology.core(), { maxUnconfirmed: 100, connectionName });
    await amqp.consume(
      topology.queues.schedulerRequests,
      probeMessage,
      async (message) => {
        deliveries++;
        received.add(message.id);
        // Slow enough that deliveries are unacked when the close lands.
        await new Promise((resolve) => setTimeout(resolve, 2));
      },
      { prefetch: 20 },
    );
  });

  afterAll(async () => {
    await amqp.close();
    const probe = await BrokerProbe.open();
    await probe.deleteAll(topology.core());
    await probe.close();
  });

  it('keeps publishing and consuming through a forced close without losing a message', async () => {
    const atDisconnect = { published: 0, confirmed: 0, received: 0 };
    const events: string[] = [];
    amqp.once('disconnected', () => {
      events.push('disconnected');
      Object.assign(atDisconnect, { published, confirmed, received: received.size });
    });
    amqp.once('reconnected', () => events.push('reconnected'));

    // Publish continuously (bursts every 5 ms) from before the close until well after the reconnect.
    const closing = forceCloseConnections(connectionName);
    let afterReconnect = 0;
    while (afterReconnect < 1000) {
      for (let i = 0; i < 25; i++) publishNext();
      if (events.includes('reconnected')) afterReconnect += 25;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await closing).toBe(1);

    await expect(Promise.all(confirms)).resolves.toHaveLength(published);
    await waitFor(`all ${published} ids consumed`, () => received.size === published, 60_000);

    expect(events).toEqual(['disconnected', 'reconnected']);
    expect(amqp.state).toBe('connected');
    // The close really hit mid-flow: messages were unconfirmed and unconsumed at that moment.
    expect(atDisconnect.confirmed).toBeLessThan(atDisconnect.published);
    expect(atDisconnect.received).toBeLessThan(atDisconnect.published);
    expect(atDisconnect.received).toBeGreaterThan(0);
    // At least once: some deliveries may come twice, none is missing.
    expect(deliveries).toBeGreaterThanOrEqual(published);
    for (let id = 0; id < published; id++) if (!received.has(id)) throw new Error(`message ${id} was lost`);
  });

  it('recovers from a second close while idle and goes on consuming', async () => {
    const reconnected = new Promise((resolve) => amqp.once('reconnected', resolve));
    expect(await forceCloseConnections(connectionName)).toBe(1);
    await reconnected;
    const first = published;
    for (let i = 0; i < 100; i++) publishNext();
    await Promise.all(confirms);
    await waitFor('the messages published after the second reconnect', () => {
      for (let id = first; id < published; id++) if (!received.has(id)) return false;
      return true;
    });
    expect(amqp.state).toBe('connected');
  });
});

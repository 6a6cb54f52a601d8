import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { AmqpConnection } from '../amqp/amqp-connection';

/** A queue depth read slower than this is left out of the scrape rather than holding it up. */
const QUEUE_CHECK_TIMEOUT_MS = 1000;

export interface QueueDepth {
  messages: number;
  consumers: number;
}

/**
 * Messages ready and consumers of each queue that exists, read with passive declares on short-lived
 * channels (a missing queue closes its channel, so each gets its own). Empty while the connection is
 * down: a scrape must not wait for the broker.
 */
export async function readQueueDepths(
  amqp: AmqpConnection,
  queues: readonly string[],
): Promise<Map<string, QueueDepth>> {
  const depths = new Map<string, QueueDepth>();
  if (amqp.state !== 'connected') return depths;
  await Promise.all(
    queues.map(async (queue) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), QUEUE_CHECK_TIMEOUT_MS);
      });
      const check = amqp
        .withChannel((channel) => channel.checkQueue(queue))
        .then(
          ({ messageCount, consumerCount }) => ({ messages: messageCount, consumers: consumerCount }),
          () => undefined,
        );
      const depth = await Promise.race([check, timeout]);
      clearTimeout(timer);
      if (depth !== undefined) depths.set(queue, depth);
    }),
  );
  return depths;
}

/**
 * The broker side of a service, as `wlm_<component>_…`: whether its connection is up, the messages its
 * consumers dead-lettered (by error code) and lost to a closed channel, and the depth of `queues()`.
 */
export function registerAmqpMetrics(
  registry: Registry,
  component: string,
  amqp: AmqpConnection,
  queues: () => readonly string[],
): void {
  new Gauge({
    name: `wlm_${component}_broker_connected`,
    help: 'Whether the AMQP connection is up (1) or down, reconnecting or closed (0)',
    registers: [registry],
    collect() {
      this.set(amqp.state === 'connected' ? 1 : 0);
    },
  });
  const deadLettered = new Counter({
    name: `wlm_${component}_dead_lettered_messages_total`,
    help: "Messages this service's consumers put in the dead-letter queue, by error code",
    labelNames: ['code'],
    registers: [registry],
  });
  amqp.on('dead-lettered', ({ code }) => deadLettered.inc({ code }));
  const lost = new Counter({
    name: `wlm_${component}_lost_settlements_total`,
    help: 'Deliveries that could not be settled because their channel closed first (the broker redelivers them)',
    registers: [registry],
  });
  amqp.on('settlement-lost', () => lost.inc());
  // One read per scrape serves both gauges: the registry collects them concurrently, in registration
  // order, so the first starts the read and the second awaits the same one.
  let reading: Promise<Map<string, QueueDepth>> = Promise.resolve(new Map());
  new Gauge({
    name: `wlm_${component}_queue_messages`,
    help: 'Messages ready in a queue, waiting for a consumer',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      reading = readQueueDepths(amqp, queues());
      const depths = await reading;
      this.reset();
      for (const [queue, depth] of depths) this.set({ queue }, depth.messages);
    },
  });
  new Gauge({
    name: `wlm_${component}_queue_consumers`,
    help: 'Consumers of a queue',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      const depths = await reading;
      this.reset();
      for (const [queue, depth] of depths) this.set({ queue }, depth.consumers);
    },
  });
}

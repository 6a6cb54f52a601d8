import type { Channel, GetMessage } from 'amqplib';
import { AmqpPublishError } from '../errors/amqp-errors';
import { DeadLetterNotFoundError, DeadLetterNotReplayableError } from '../errors/dead-letter-errors';
import type { Logger } from '../logging';
import { AmqpConnection } from './amqp-connection';
import { keptProperties } from './delivery-count';
import { WlmTopology } from './topology';
import type { TopologySpec } from './topology';
import { deadLetterDetail, deadLetterView, replayHeaders } from './dead-letter-view';
import type { DeadLetterDetail, DeadLetterView } from './dead-letter-view';

export interface DeadLetterQueueOptions {
  readonly url: string;
  /** PEM file of the CA that signed the broker's certificate (`rabbitmq.caFile`), for amqps://. */
  readonly caFile?: string | undefined;
  /** AMQP namespace of the installation. */
  readonly namespace: string;
  readonly logger: Logger;
}

/**
 * The dead-letter queue of one installation, for an operator: list, show, replay and remove dead
 * letters by id.
 *
 * Browsing takes messages with `get` without acknowledging them and closes the channel when done,
 * which puts every one back where it was (RabbitMQ requeues unacknowledged messages in their
 * original positions) — nothing is lost, even if this process dies meanwhile. Dead letters are
 * never consumed by a service, so the `redelivered` flag this leaves on them matters to nobody.
 * While a browse holds the messages, a second `wlm dlq` running at the same moment sees fewer.
 */
export class DeadLetterQueue {
  private constructor(
    private readonly amqp: AmqpConnection,
    /** The queue's name: `<namespace>.dead-letter`. */
    readonly queue: string,
    /** Whether {@link close} closes the connection: only one this queue opened itself. */
    private readonly ownsConnection: boolean,
  ) {}

  /**
   * The dead-letter queue of `namespace` over a connection that declared the core topology already
   * (a service's, e.g. the orchestrator's for the console); {@link close} leaves it open.
   */
  static over(amqp: AmqpConnection, namespace: string): DeadLetterQueue {
    return new DeadLetterQueue(amqp, new WlmTopology(namespace).queues.deadLetter, false);
  }

  /** Connects (giving up after a few seconds when RabbitMQ is not there) and declares the queue. */
  static async open(options: DeadLetterQueueOptions): Promise<DeadLetterQueue> {
    const topology = new WlmTopology(options.namespace);
    const core = topology.core();
    const spec: TopologySpec = {
      deadLetterExchange: topology.exchanges.deadLetter,
      exchanges: core.exchanges.filter((exchange) => exchange.name === topology.exchanges.deadLetter),
      queues: core.queues.filter((queue) => queue.name === topology.queues.deadLetter),
    };
    const amqp = await AmqpConnection.connect({
      url: options.url,
      caFile: options.caFile,
      logger: options.logger,
      topology: spec,
      connectionName: 'wlm-dlq',
      reconnect: { initialDelayMs: 200, initialRetries: 3 },
      closeTimeoutMs: 5_000,
    });
    return new DeadLetterQueue(amqp, topology.queues.deadLetter, true);
  }

  /** Every dead letter, oldest first. Messages dead-lettered while it runs are left for the next look. */
  list(): Promise<DeadLetterView[]> {
    return this.amqp.withChannel(async (channel) => {
      const views: DeadLetterView[] = [];
      for (const message of await this.take(channel)) views.push(deadLetterView(message));
      return views;
    });
  }

  /** One dead letter with its body and headers. @throws DeadLetterNotFoundError */
  show(id: string): Promise<DeadLetterDetail> {
    return this.withFound(id, (message) => Promise.resolve(deadLetterDetail(message)));
  }

  /**
   * Publishes the dead letter to the queue it came from (confirmed), without its reason or delivery
   * count, then removes it. A crash between the two leaves it replayed and still listed: consumers
   * are idempotent, and the operator sees it is still there.
   *
   * @throws DeadLetterNotFoundError, or DeadLetterNotReplayableError when its source queue is unknown
   * or gone.
   */
  replay(id: string): Promise<DeadLetterView> {
    return this.withFound(id, async (message, channel) => {
      const view = deadLetterView(message);
      if (view.sourceQueue === undefined) {
        throw new DeadLetterNotReplayableError(id, 'nothing records the queue it came from');
      }
      try {
        await this.amqp.publish('', view.sourceQueue, message.content, {
          ...keptProperties(message),
          headers: replayHeaders(message, id),
        });
      } catch (error) {
        if (error instanceof AmqpPublishError && error.failure === 'unroutable') {
          throw new DeadLetterNotReplayableError(id, `its source queue ${view.sourceQueue} does not exist`, {
            cause: error,
          });
        }
        throw error;
      }
      channel.ack(message);
      return view;
    });
  }

  /** Removes one dead letter for good. @throws DeadLetterNotFoundError */
  remove(id: string): Promise<DeadLetterView> {
    return this.withFound(id, (message, channel) => {
      channel.ack(message);
      return Promise.resolve(deadLetterView(message));
    });
  }

  /** How many dead letters there are. */
  async count(): Promise<number> {
    return (await this.amqp.withChannel((channel) => channel.checkQueue(this.queue))).messageCount;
  }

  /** Removes every dead letter for good; resolves with how many there were. */
  async purge(): Promise<number> {
    return (await this.amqp.withChannel((channel) => channel.purgeQueue(this.queue))).messageCount;
  }

  close(): Promise<void> {
    return this.ownsConnection ? this.amqp.close() : Promise.resolve();
  }

  /** Takes (unacknowledged) as many messages as the queue held when it was asked. */
  private async take(channel: Channel, stop?: (message: GetMessage) => boolean): Promise<GetMessage[]> {
    const { messageCount } = await channel.checkQueue(this.queue);
    const taken: GetMessage[] = [];
    for (let i = 0; i < messageCount; i += 1) {
      const message = await channel.get(this.queue, { noAck: false });
      if (message === false) break;
      taken.push(message);
      if (stop?.(message)) break;
    }
    return taken;
  }

  /** Runs `act` on the dead letter `id` while every other one taken meanwhile waits to go back. */
  private withFound<T>(id: string, act: (message: GetMessage, channel: Channel) => Promise<T>): Promise<T> {
    return this.amqp.withChannel(async (channel) => {
      const taken = await this.take(channel, (message) => deadLetterView(message).id === id);
      const found = taken.at(-1);
      if (found === undefined || deadLetterView(found).id !== id)
        throw new DeadLetterNotFoundError(id, this.queue);
      return act(found, channel);
    });
  }
}

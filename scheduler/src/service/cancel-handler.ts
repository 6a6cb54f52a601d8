import { controlMessageSchema } from '@wlm/commons/wire';
import type { AmqpConnection, ConsumerHandle, TopologySpec, WlmTopology } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { ControlMessage } from '@wlm/commons/wire';
import type { RequestDispatcher } from './request-dispatcher';

export interface CancelHandlerOptions {
  readonly amqp: AmqpConnection;
  readonly topology: WlmTopology;
  readonly dispatcher: RequestDispatcher;
  readonly logger: Logger;
  /** Names this instance's own control queue. */
  readonly instanceId: string;
}

/**
 * Consumes control messages. The shared `schedulerControl` queue keeps a cancel sent while no
 * scheduler runs, but its instances compete for it, so only one would hear each cancel; every
 * instance therefore also binds a queue of its own (exclusive, deleted with its connection) to the
 * control exchange. A cancel reaching an instance twice is harmless: dropping is idempotent.
 */
export class CancelHandler {
  private readonly consumers: ConsumerHandle[] = [];
  private readonly log: Logger;

  constructor(private readonly options: CancelHandlerOptions) {
    this.log = options.logger.child({ module: 'control' });
  }

  async start(): Promise<void> {
    const { amqp, topology } = this.options;
    const own = this.ownQueue();
    await amqp.declare(own);
    for (const queue of [topology.queues.schedulerControl, ...own.queues.map((q) => q.name)]) {
      this.consumers.push(
        await amqp.consume(queue, controlMessageSchema, (message) => this.onControl(message), {
          prefetch: 20,
        }),
      );
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.splice(0).map((consumer) => consumer.cancel()));
  }

  private ownQueue(): TopologySpec {
    const { topology, instanceId } = this.options;
    return {
      deadLetterExchange: topology.exchanges.deadLetter,
      exchanges: [{ name: topology.exchanges.control, type: 'topic' }],
      queues: [
        {
          name: `${topology.queues.schedulerControl}.${instanceId}`,
          options: {
            durable: false,
            exclusive: true,
            autoDelete: true,
            deadLetterExchange: topology.exchanges.deadLetter,
          },
          bindings: [{ exchange: topology.exchanges.control, pattern: 'control.#' }],
        },
      ],
    };
  }

  private async onControl(message: ControlMessage): Promise<void> {
    switch (message.type) {
      case 'CANCEL_TASK': {
        const dropped = await this.options.dispatcher.cancel(message);
        this.log.info(
          { experimentId: message.experimentId, taskId: message.taskId, dropped },
          'cancel applied to held requests',
        );
        break;
      }
    }
  }
}

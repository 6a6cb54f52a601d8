import { WlmError } from './wlm-error';

/** RabbitMQ could not be reached (or the topology could not be declared) within the retry budget. */
export class AmqpUnavailableError extends WlmError {
  override readonly name = 'AmqpUnavailableError';

  constructor(
    /** The broker URL with its password removed. */
    readonly url: string,
    cause: unknown,
  ) {
    super(
      'AMQP_UNAVAILABLE',
      `cannot connect to RabbitMQ at ${url}: ${cause instanceof Error ? cause.message : String(cause)}; ` +
        'check that it runs (`wlm stack status`) and that WLM_RABBITMQ_URL is right',
      { cause, retryable: true },
    );
  }
}

/**
 * Why a publish was not confirmed:
 * - `unroutable`: no queue was bound for the routing key (mandatory publish returned) — a bug or a
 *   missing declaration, so repeating it will not help;
 * - `nacked`: the broker refused the message (internal error or a full queue);
 * - `channel-error`: the broker closed the channel because of this publish (e.g. an unknown exchange);
 * - `closed`: the connection was closed before the message could be confirmed.
 */
export type AmqpPublishFailure = 'unroutable' | 'nacked' | 'channel-error' | 'closed';

const RETRYABLE_FAILURES: ReadonlySet<AmqpPublishFailure> = new Set(['nacked']);

/** A publish was not confirmed by the broker; `failure` says why. */
export class AmqpPublishError extends WlmError {
  override readonly name = 'AmqpPublishError';

  constructor(
    readonly failure: AmqpPublishFailure,
    readonly exchange: string,
    readonly routingKey: string,
    options: { cause?: unknown } = {},
  ) {
    const target = `exchange "${exchange}" with routing key "${routingKey}"`;
    const messages: Record<AmqpPublishFailure, string> = {
      unroutable: `no queue is bound to ${target}; declare the queue (topology) before publishing`,
      nacked: `RabbitMQ refused a message published to ${target}`,
      'channel-error': `RabbitMQ closed the channel while publishing to ${target}; does the exchange exist?`,
      closed: `the AMQP connection closed before a message to ${target} was confirmed`,
    };
    super('AMQP_PUBLISH_FAILED', messages[failure], {
      ...options,
      retryable: RETRYABLE_FAILURES.has(failure),
    });
  }
}

import type { Options } from 'amqplib';

/** Per-message publish options; every message is persistent. */
export interface PublishOptions {
  /** AMQP priority 0–9; wire messages use their `priority`. */
  priority?: number;
  messageId?: string;
  correlationId?: string;
  /** Defaults to `application/json`. */
  contentType?: string;
  type?: string;
  headers?: Readonly<Record<string, unknown>>;
  /**
   * Whether a message no queue receives is an error (rejected as `unroutable`) rather than silently
   * dropped by the broker. Default true: a TaskAssignment to a worker queue not declared yet must not
   * vanish.
   */
  mandatory?: boolean;
}

/** amqplib's options for a persistent message; `exactOptionalPropertyTypes` forbids explicit undefineds. */
export function toAmqpPublishOptions(options: PublishOptions): Options.Publish {
  const amqp: Options.Publish = {
    persistent: true,
    mandatory: options.mandatory ?? true,
    contentType: options.contentType ?? 'application/json',
  };
  if (options.priority !== undefined) amqp.priority = options.priority;
  if (options.messageId !== undefined) amqp.messageId = options.messageId;
  if (options.correlationId !== undefined) amqp.correlationId = options.correlationId;
  if (options.type !== undefined) amqp.type = options.type;
  if (options.headers !== undefined) amqp.headers = { ...options.headers };
  return amqp;
}

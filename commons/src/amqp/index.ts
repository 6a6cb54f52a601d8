/**
 * RabbitMQ for wlm: the topology (every exchange and queue, in one place) and a connection that
 * publishes with pipelined confirms and consumes with validation, both surviving reconnects.
 *
 * @example
 * ```ts
 * const topology = new WlmTopology();
 * const amqp = await AmqpConnection.connect({ url: config.rabbitmq.url, logger, topology: topology.core() });
 * await amqp.consume(topology.queues.orchestratorEvents, taskEventSchema, (event) => engine.onEvent(event), {
 *   prefetch: config.rabbitmq.prefetch,
 * });
 * await amqp.publishMessage('', topology.queues.schedulerRequests, taskRequestSchema, request, {
 *   priority: request.priority,
 * });
 * await amqp.close();
 * ```
 */
export { AmqpConnection } from './amqp-connection';
export { redactUrl } from './connection-options';
export type {
  AmqpConnectionEvents,
  AmqpConnectionOptions,
  AmqpConnectionState,
  AmqpReconnectOptions,
} from './connection-options';
export type { PublishOptions } from './publish-options';
export type {
  CancelOptions,
  ConsumeOptions,
  ConsumerHandle,
  Delivery,
  LostSettlement,
  MessageHandler,
  Settlement,
} from './queue-consumer';
export { DEAD_LETTER_HEADERS, deadLetterHeaders, errorCodeOf, reasonOf } from './dead-letter';
export { DeadLetterQueue } from './dead-letter-queue';
export type { DeadLetterQueueOptions } from './dead-letter-queue';
export type { DeadLetterDetail, DeadLetterView } from './dead-letter-view';
export type { DeadLetterDetails, DeadLetterSource } from './dead-letter';
export {
  DELIVERY_HEADERS,
  DEFAULT_MAX_DELIVERIES,
  REDELIVERY_LIMIT,
  afterRetryableFailure,
  copyHeaders,
  countedDeliveries,
  judgeDelivery,
  keptProperties,
  originOf,
  previousDeliveries,
  outagePauseMs,
  retryPauseMs,
  withoutDeliveryHeaders,
} from './delivery-count';
export type { DeliveryVerdict } from './delivery-count';
export {
  WlmTopology,
  MAX_PRIORITY,
  TIMER_DELAYS_MS,
  declareTopology,
  deleteTopology,
  mergeTopology,
} from './topology';
export type { BindingSpec, ExchangeSpec, ExchangeType, QueueSpec, TopologySpec } from './topology';

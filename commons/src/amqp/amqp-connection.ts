import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import type { Channel, ChannelModel, RecoveringChannelModel } from 'amqplib';
import type { z } from 'zod';
import type { Logger } from '../logging/logger';
import { AmqpUnavailableError } from '../errors/amqp-errors';
import { ServerTlsError, isTlsRefusal } from '../errors/server-tls-error';
import { ConfigError } from '../errors/config-error';
import { readPemFile } from '../config/pem-file';
import { WlmError } from '../errors/wlm-error';
import { encodeMessage } from '../wire/codec';
import { ConfirmPublisher } from './confirm-publisher';
import { DEFAULT_MAX_DELIVERIES } from './delivery-count';
import { redactUrl, withHeartbeat } from './connection-options';
import type { AmqpConnectionEvents, AmqpConnectionOptions, AmqpConnectionState } from './connection-options';
import { toAmqpPublishOptions } from './publish-options';
import type { PublishOptions } from './publish-options';
import { QueueConsumer } from './queue-consumer';
import type { ConsumeOptions, ConsumerHandle, MessageHandler } from './queue-consumer';
import { declareTopology, mergeTopology } from './topology';
import type { TopologySpec } from './topology';

/**
 * One AMQP connection for a wlm service: confirm-channel publishing and validated consumers that
 * survive connection loss. Reconnection itself (capped exponential backoff with jitter) is amqplib's
 * recovery; this class re-declares the topology, re-sends unconfirmed messages and restores consumers
 * on each new connection.
 *
 * @example
 * ```ts
 * const topology = new WlmTopology();
 * const amqp = await AmqpConnection.connect({ url, logger, topology: topology.core() });
 * await amqp.consume(topology.queues.schedulerRequests, taskRequestSchema, async (request) => {
 *   await amqp.publishMessage('', topology.workerQueue('w1'), taskAssignmentSchema, toAssignment(request));
 * }, { prefetch: 100 });
 * await amqp.close();
 * ```
 */
export class AmqpConnection extends EventEmitter<AmqpConnectionEvents> {
  private stateValue: AmqpConnectionState = 'connecting';
  private recovering: RecoveringChannelModel | undefined;
  private model: ChannelModel | undefined;
  private topology: TopologySpec;
  private readonly consumers = new Set<{
    attach(model: ChannelModel): Promise<void>;
    stop(): Promise<void>;
  }>();
  private readonly publisher: ConfirmPublisher;
  private readonly log: Logger;
  private readonly redactedUrl: string;
  private disconnectedAt: number | undefined;
  private closing: Promise<void> | undefined;
  private readonly counts = { settlementsLost: 0, deadLettered: 0 };

  private constructor(private readonly options: AmqpConnectionOptions) {
    super();
    this.redactedUrl = redactUrl(options.url);
    this.log = options.logger.child({ amqp: options.connectionName ?? 'wlm' });
    this.topology = options.topology ?? { exchanges: [], queues: [] };
    this.publisher = new ConfirmPublisher(this.log, options.maxUnconfirmed ?? 1000);
  }

  /**
   * Connects, declares the topology and opens the publisher.
   *
   * @throws AmqpUnavailableError when the broker stays unreachable for the initial retry budget.
   */
  static async connect(options: AmqpConnectionOptions): Promise<AmqpConnection> {
    const connection = new AmqpConnection(options);
    await connection.start();
    return connection;
  }

  get state(): AmqpConnectionState {
    return this.stateValue;
  }

  /**
   * Since connecting: settlements lost to a closed channel (each a message the broker redelivers,
   * see the `settlement-lost` event) and messages this connection's consumers dead-lettered.
   */
  get deliveryCounts(): Readonly<{ settlementsLost: number; deadLettered: number }> {
    return { ...this.counts };
  }

  private async start(): Promise<void> {
    const reconnect = this.options.reconnect ?? {};
    const clientProperties = { connection_name: this.options.connectionName ?? 'wlm' };
    const { caFile } = this.options;
    const recovering = await connect(withHeartbeat(this.options.url, this.options.heartbeatSeconds ?? 15), {
      clientProperties,
      // amqplib leaves Nagle's algorithm on: a small write that follows one not yet acknowledged
      // waits for the broker's delayed ACK, up to 40 ms on Linux, at every hop of a task.
      noDelay: true,
      // amqplib hands its socket options to tls.connect for amqps://.
      ...(caFile === undefined ? {} : { ca: [readPemFile('rabbitmq.caFile', caFile)] }),
      recovery: {
        initialDelay: reconnect.initialDelayMs ?? 100,
        maxDelay: reconnect.maxDelayMs ?? 10_000,
        factor: 2,
        jitter: reconnect.jitter ?? 0.2,
        maxRetries: Infinity,
        initialMaxRetries: reconnect.initialRetries ?? 8,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.setup(model),
      },
    });
    this.recovering = recovering;
    recovering.on('connect', () => this.onConnected());
    recovering.on('disconnect', (error) => this.onDisconnected(error));
    // A certificate TLS refuses stays refused: give up at once instead of spending the retry budget.
    let tlsRefusal: unknown;
    recovering.on('connect-failed', (error) => {
      this.log.warn({ err: error }, 'AMQP connection attempt failed');
      if (this.stateValue === 'connecting' && isTlsRefusal(error)) {
        tlsRefusal = error;
        void recovering.close();
      }
    });
    recovering.on('reconnect-scheduled', ({ attempt, delay }) =>
      this.log.info({ attempt, delayMs: delay }, 'reconnecting to RabbitMQ'),
    );
    recovering.on('reconnect-failed', (error) => this.onGaveUp(error));
    recovering.on('blocked', (reason) => this.emit('blocked', reason));
    recovering.on('unblocked', () => this.emit('unblocked'));
    // Connection errors are followed by 'disconnect'; without a listener they would be thrown.
    recovering.on('error', (error) => this.log.warn({ err: error }, 'AMQP connection error'));
    recovering.on('handler-error', (error, event) =>
      this.log.error({ err: error, event }, 'AMQP listener threw'),
    );
    try {
      await recovering.waitForConnect();
    } catch (error) {
      this.stateValue = 'closed';
      this.publisher.close();
      const refusal = tlsRefusal ?? (isTlsRefusal(error) ? error : undefined);
      if (refusal !== undefined) {
        const { hostname, port } = new URL(this.options.url);
        throw new ServerTlsError('RabbitMQ', `${hostname}:${port || 5671}`, 'rabbitmq.caFile', refusal);
      }
      throw new AmqpUnavailableError(this.redactedUrl, error);
    }
  }

  /** Runs on every new connection before amqplib reports it; a throw makes amqplib retry with backoff. */
  private async setup(model: ChannelModel): Promise<void> {
    // Until amqplib binds its own listeners after setup, an error here would otherwise be thrown.
    model.on('error', (error: Error) => this.log.debug({ err: error }, 'AMQP connection error during setup'));
    const channel = await model.createChannel();
    channel.on('error', (error: Error) => this.log.error({ err: error }, 'topology declaration failed'));
    await declareTopology(channel, this.topology);
    await channel.close();
    const publishChannel = await model.createConfirmChannel();
    this.model = model;
    model.once('close', () => {
      if (this.model === model) this.model = undefined;
    });
    this.publisher.attach(publishChannel);
    this.watchPublisherChannel(model, publishChannel);
    // A consumer that cannot subscribe (e.g. its queue was deleted) retries on its own schedule; it
    // must not keep the whole connection down.
    await Promise.allSettled([...this.consumers].map((consumer) => consumer.attach(model)));
  }

  /**
   * A publisher channel the broker closed (an 'error' precedes the close) while the connection lives
   * is replaced at once; on a connection loss the next setup opens the new one.
   */
  private watchPublisherChannel(model: ChannelModel, channel: Channel): void {
    let closedByBroker = false;
    channel.on('error', () => {
      closedByBroker = true;
    });
    channel.once('close', () => {
      if (!closedByBroker || this.model !== model) return;
      model
        .createConfirmChannel()
        .then((next) => {
          this.publisher.attach(next);
          this.watchPublisherChannel(model, next);
        })
        .catch((error: unknown) => {
          this.log.error({ err: error }, 'cannot reopen the publisher channel; reconnecting');
          // Closing the connection hands recovery to amqplib, which reconnects with backoff.
          void model.close().catch(() => undefined);
        });
    });
  }

  private onConnected(): void {
    if (this.stateValue === 'closing' || this.stateValue === 'closed') return;
    const wasReconnect = this.stateValue === 'reconnecting';
    this.stateValue = 'connected';
    if (wasReconnect) {
      const downtimeMs = Date.now() - (this.disconnectedAt ?? Date.now());
      this.log.info({ downtimeMs }, 'reconnected to RabbitMQ');
      this.emit('reconnected', { downtimeMs });
    } else {
      this.log.info({ url: this.redactedUrl }, 'connected to RabbitMQ');
      this.emit('connected');
    }
  }

  private onDisconnected(error: Error): void {
    this.model = undefined;
    if (this.stateValue === 'closing' || this.stateValue === 'closed') return;
    this.stateValue = 'reconnecting';
    this.disconnectedAt = Date.now();
    this.log.warn({ err: error, pendingPublishes: this.publisher.pending }, 'lost the RabbitMQ connection');
    this.emit('disconnected', error);
  }

  private onGaveUp(error: Error): void {
    this.log.error({ err: error }, 'gave up reconnecting to RabbitMQ');
    this.publisher.close(error);
    if (this.stateValue !== 'closing') this.stateValue = 'closed';
  }

  /**
   * Adds declarations (e.g. a worker's queues) now and on every reconnection. Waits for the
   * connection when it is down.
   */
  async declare(spec: TopologySpec): Promise<void> {
    this.topology = mergeTopology(this.topology, spec);
    await this.withChannel((channel) => declareTopology(channel, spec));
  }

  /** Runs `fn` on a short-lived channel (checks, purges, cleanup), waiting for the connection if it is down. */
  async withChannel<T>(fn: (channel: Channel) => Promise<T>): Promise<T> {
    if (!this.recovering || this.stateValue === 'closed') throw shuttingDown('open a channel');
    const channel = await this.recovering.createChannel();
    channel.on('error', (error: Error) =>
      this.log.debug({ err: error }, 'utility channel closed by the broker'),
    );
    try {
      return await fn(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /**
   * Publishes persistently and resolves on the broker's confirm. Many publishes may be outstanding;
   * do not await each one before the next when throughput matters. Across a reconnection the message
   * is sent again, so consumers must be idempotent.
   *
   * @throws AmqpPublishError when unroutable (mandatory, the default), nacked, or closed first.
   */
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: PublishOptions = {},
  ): Promise<void> {
    return this.publisher.publish(exchange, routingKey, content, toAmqpPublishOptions(options));
  }

  /** Validates and encodes a wire message ({@link encodeMessage}), then {@link publish}es it. */
  publishMessage<S extends z.ZodType>(
    exchange: string,
    routingKey: string,
    schema: S,
    message: z.input<S>,
    options: PublishOptions = {},
  ): Promise<void> {
    let content: Buffer;
    try {
      content = encodeMessage(schema, message);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.publish(exchange, routingKey, content, options);
  }

  /**
   * Consumes `queue`, validating each delivery with `schema`. An invalid message goes to the
   * dead-letter exchange with the validation issues in its `x-wlm-error` header and the consumer
   * carries on. See {@link MessageHandler} for how the handler's outcome settles a message: every
   * message is dead-lettered after `maxDeliveries` deliveries, counted in a header of the message
   * (see `delivery-count.ts`), crashes of its consumers included. The subscription is restored
   * after channel or connection loss.
   */
  async consume<S extends z.ZodType>(
    queue: string,
    schema: S,
    handler: MessageHandler<z.output<S>>,
    options: ConsumeOptions = {},
  ): Promise<ConsumerHandle> {
    if (this.stateValue === 'closing' || this.stateValue === 'closed') throw shuttingDown('consume');
    const deadLetterExchange = this.topology.deadLetterExchange;
    if (deadLetterExchange === undefined) {
      throw new ConfigError(
        'topology',
        'consuming needs a topology with a dead-letter exchange, e.g. WlmTopology.core()',
      );
    }
    const consumer = new QueueConsumer({
      queue,
      schema,
      handler,
      options,
      deadLetterExchange,
      maxDeliveries: this.options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES,
      consumerName: `${this.options.connectionName ?? 'wlm'} on ${hostname()} pid ${process.pid}`,
      publish: (exchange, routingKey, content, publishOptions) =>
        this.publish(exchange, routingKey, content, publishOptions),
      currentModel: () => this.model,
      onServerCancel: (cancelled) => this.emit('consumer-cancelled', cancelled),
      onSettlementLost: (lost) => {
        this.counts.settlementsLost += 1;
        this.emit('settlement-lost', lost);
      },
      onDeadLettered: (deadQueue, code) => {
        this.counts.deadLettered += 1;
        this.emit('dead-lettered', { queue: deadQueue, code });
      },
      log: this.log,
    });
    this.consumers.add(consumer);
    const model = this.model;
    if (model) {
      try {
        await consumer.attach(model);
      } catch (error) {
        // Still the same live connection: the subscription itself is wrong (e.g. no such queue).
        if (this.model === model) {
          this.consumers.delete(consumer);
          await consumer.stop();
          throw error;
        }
        // Otherwise the connection dropped meanwhile; the next setup subscribes.
      }
    }
    return {
      queue,
      cancel: async (cancelOptions) => {
        await consumer.stop(cancelOptions);
        this.consumers.delete(consumer);
      },
    };
  }

  /**
   * Stops consuming, waits for running handlers and unconfirmed publishes (up to `closeTimeoutMs`),
   * then closes. Idempotent: every call returns the same promise. Deliveries still unacked when the
   * time runs out go back to their queues; publishes still unconfirmed are rejected.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.stateValue = 'closing';
    const drain = (async () => {
      await Promise.allSettled([...this.consumers].map((consumer) => consumer.stop()));
      await this.publisher.whenIdle();
    })();
    const timeoutMs = this.options.closeTimeoutMs ?? 30_000;
    const timeout = new AbortController();
    const drained = await Promise.race([
      drain.then(() => true),
      sleep(timeoutMs, false, { signal: timeout.signal }).catch(() => false),
    ]);
    timeout.abort();
    if (!drained) {
      this.log.warn(
        { pendingPublishes: this.publisher.pending, timeoutMs },
        'closing with work unfinished; unacked deliveries will be redelivered',
      );
    }
    this.publisher.close();
    this.consumers.clear();
    this.model = undefined;
    await this.recovering
      ?.close()
      .catch((error: unknown) => this.log.warn({ err: error }, 'AMQP close failed'));
    this.stateValue = 'closed';
    this.log.info('AMQP connection closed');
    this.emit('closed');
  }
}

function shuttingDown(what: string): WlmError {
  return new WlmError('SHUTTING_DOWN', `cannot ${what}: the AMQP connection is closed or closing`);
}

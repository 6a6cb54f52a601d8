import type { Logger } from '../logging/logger';
import type { LostSettlement } from './queue-consumer';
import type { TopologySpec } from './topology';

export type AmqpConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closing' | 'closed';

/** Events of `AmqpConnection`, with their arguments. */
export interface AmqpConnectionEvents {
  /** The first connection is up: topology declared, publisher ready, consumers subscribed. */
  connected: [];
  /** The connection was lost; it is being re-established. Publishes wait meanwhile. */
  disconnected: [error: Error];
  /** Back after a loss: topology re-declared, unconfirmed messages re-sent, consumers restored. */
  reconnected: [info: { downtimeMs: number }];
  /** The broker stopped accepting publishes (a memory or disk alarm). */
  blocked: [reason: string];
  unblocked: [];
  /** The broker cancelled a consumer (e.g. its queue was deleted); it re-subscribes with backoff. */
  'consumer-cancelled': [queue: string];
  /**
   * A consumer could not ack, nack or hand on a delivery because its channel had closed: the broker
   * redelivers it. Logged at warn and counted in `deliveryCounts.settlementsLost`.
   */
  'settlement-lost': [lost: LostSettlement];
  /** A consumer put a message in the dead-letter queue, with this error code. */
  'dead-lettered': [info: { queue: string; code: string }];
  closed: [];
}

export interface AmqpReconnectOptions {
  /** Default 100. */
  initialDelayMs?: number;
  /** Default 10,000. */
  maxDelayMs?: number;
  /** Fraction of each delay randomised either way, so a fleet does not reconnect in lockstep. Default 0.2. */
  jitter?: number;
  /**
   * Failed attempts before the first connection is given up (`connect` rejects), so a wrong URL
   * fails a start fast. Once connected, reconnecting never gives up. Default 8 (about 20 s of waiting).
   */
  initialRetries?: number;
}

export interface AmqpConnectionOptions {
  /** e.g. `amqp://guest:guest@127.0.0.1:5672`; a `heartbeat` query parameter is added unless present. */
  url: string;
  /** PEM file of the CA that signed the broker's certificate (`rabbitmq.caFile`), for amqps://. */
  caFile?: string | undefined;
  logger: Logger;
  /** Declared on every (re)connection before anything is published or consumed. */
  topology?: TopologySpec;
  /** Shown by `rabbitmqctl list_connections client_properties` and the management UI. */
  connectionName?: string;
  reconnect?: AmqpReconnectOptions;
  /** Unconfirmed publishes at once. Default 1000. */
  maxUnconfirmed?: number;
  /** How long `close()` waits for handlers and confirms before giving up on them. Default 30,000. */
  closeTimeoutMs?: number;
  /** Seconds between heartbeats, so a dead broker is noticed without waiting for TCP. Default 15. */
  heartbeatSeconds?: number;
  /**
   * Deliveries of one message before a consumer dead-letters it (`rabbitmq.maxDeliveries`); each
   * consumer may override it. Default 10.
   */
  maxDeliveries?: number;
}

/** `amqp://user:***@host:port/…` for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** The URL with a `heartbeat` query parameter unless it already has one. */
export function withHeartbeat(url: string, seconds: number): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(seconds));
  return parsed.toString();
}

import type { PublishOptions } from './publish-options';
/**
 * Counting deliveries by the message. The work queues are classic queues (RabbitMQ 3.10; quorum
 * queues, which count deliveries themselves, refuse `x-max-priority`), and a classic queue only says
 * whether a message was `redelivered`, never how often. So a consumer that gives a message back
 * republishes a copy carrying the count in a header and acks the original, and a delivery the broker
 * flags `redelivered` (its consumer died or lost its channel while handling it) is first turned into
 * such a copy, with the lost delivery counted, before anyone handles it again. Pure functions only;
 * the consumers (`QueueConsumer`, the scheduler's queue drainer) do the publishing.
 */

/** Headers the count travels in; a copy keeps every other header of the original. */
export const DELIVERY_HEADERS = {
  /** Deliveries of this message that ended without settling it for good, before this copy. */
  deliveries: 'x-wlm-deliveries',
  /** The last error a delivery ended with, for the dead letter when the limit is reached. */
  lastError: 'x-wlm-last-error',
  /** Where the message was first published: a copy goes straight to its queue via the default exchange. */
  originalExchange: 'x-wlm-original-exchange',
  originalRoutingKey: 'x-wlm-original-routing-key',
} as const;

/** Deliveries of one message before it is dead-lettered, unless configured (`rabbitmq.maxDeliveries`). */
export const DEFAULT_MAX_DELIVERIES = 10;

/** The error code of a message dead-lettered for reaching the delivery limit. */
export const REDELIVERY_LIMIT = 'REDELIVERY_LIMIT';

/** What a consumer should do with a delivery before its handler sees it. */
export type DeliveryVerdict =
  /** Run the handler; this is delivery number `deliveries`. */
  | { readonly action: 'handle'; readonly deliveries: number }
  /** A redelivery: republish a copy counting the lost delivery, ack this one, do not handle it. */
  | { readonly action: 'recount'; readonly previous: number }
  /** `previous` deliveries already ended unsettled: dead-letter without handling. */
  | { readonly action: 'limit'; readonly previous: number };

type Headers = Readonly<Record<string, unknown>> | undefined;

/** The count a message's headers carry (0 for a first publication or a header somebody garbled). */
export function countedDeliveries(headers: Headers): number {
  const value = headers?.[DELIVERY_HEADERS.deliveries];
  const count = typeof value === 'string' ? Number(value) : value;
  return typeof count === 'number' && Number.isSafeInteger(count) && count > 0 ? count : 0;
}

/**
 * Deliveries that ended without settling the message, this one excluded. A `redelivered` flag means
 * at least one more than the header says; the broker cannot tell how many, so a copy is made before
 * the next attempt (see {@link judgeDelivery}) and each crash is counted once.
 */
export function previousDeliveries(headers: Headers, redelivered: boolean): number {
  return countedDeliveries(headers) + (redelivered ? 1 : 0);
}

/** Decides about one delivery given the limit (`maxDeliveries` ≥ 1). */
export function judgeDelivery(
  headers: Headers,
  redelivered: boolean,
  maxDeliveries: number,
): DeliveryVerdict {
  const previous = previousDeliveries(headers, redelivered);
  if (previous >= maxDeliveries) return { action: 'limit', previous };
  if (redelivered) return { action: 'recount', previous };
  return { action: 'handle', deliveries: previous + 1 };
}

/** After a retryable failure of delivery `deliveries`: give it another delivery, or dead-letter it now. */
export function afterRetryableFailure(
  deliveries: number,
  maxDeliveries: number,
): 'republish' | 'dead-letter' {
  return deliveries >= maxDeliveries ? 'dead-letter' : 'republish';
}

/**
 * How long to wait before giving a message that failed `deliveries` times another delivery: `baseMs`
 * doubling per delivery, at most `maxMs` — so a store outage of a few minutes is ridden out before
 * the limit dead-letters anything, while a message that fails for good is set aside in minutes.
 */
export function retryPauseMs(deliveries: number, baseMs: number, maxMs: number): number {
  const exponent = Math.min(Math.max(deliveries - 1, 0), 30);
  return Math.min(maxMs, baseMs * 2 ** exponent);
}

/**
 * How long to wait before giving a message another delivery while a store is away: as long again as
 * the outage has lasted so far (`outageMs`), within `baseMs…maxMs`. Measured by the outage's
 * duration rather than by its failures, because every message taken during an outage fails: counting
 * them would make a burst of a hundred events pause for the maximum after an outage of a second, and
 * the work would resume a minute after the store. This way it resumes at most about as long after
 * the store as the outage lasted.
 */
export function outagePauseMs(outageMs: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, Math.max(baseMs, outageMs));
}

/** Where the message was first published, whether this delivery is the original or a copy. */
export function originOf(
  headers: Headers,
  fields: { exchange: string; routingKey: string },
): { exchange: string; routingKey: string } {
  const exchange = headers?.[DELIVERY_HEADERS.originalExchange];
  const routingKey = headers?.[DELIVERY_HEADERS.originalRoutingKey];
  return typeof exchange === 'string' && typeof routingKey === 'string'
    ? { exchange, routingKey }
    : { exchange: fields.exchange, routingKey: fields.routingKey };
}

/** The headers of a copy: the original's, the new count, its origin and (when known) the last error. */
export function copyHeaders(
  headers: Headers,
  fields: { exchange: string; routingKey: string },
  deliveries: number,
  lastError?: string,
): Record<string, unknown> {
  const origin = originOf(headers, fields);
  return {
    ...headers,
    [DELIVERY_HEADERS.deliveries]: deliveries,
    [DELIVERY_HEADERS.originalExchange]: origin.exchange,
    [DELIVERY_HEADERS.originalRoutingKey]: origin.routingKey,
    ...(lastError === undefined ? {} : { [DELIVERY_HEADERS.lastError]: lastError }),
  };
}

/** The headers of a message replayed from the dead-letter queue: every count and dead-letter mark gone. */
export function withoutDeliveryHeaders(
  headers: Headers,
  alsoRemove: readonly string[] = [],
): Record<string, unknown> {
  const drop = new Set<string>([...Object.values(DELIVERY_HEADERS), ...alsoRemove]);
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => !drop.has(name)));
}

/**
 * The properties a copy, a dead letter or a replay of a message keeps: priority, ids, type and content
 * type (headers are rebuilt by each).
 */
export function keptProperties(message: { readonly properties: object }): Omit<PublishOptions, 'headers'> {
  const { priority, messageId, correlationId, type, contentType } = message.properties as Record<
    string,
    unknown
  >;
  return {
    ...(typeof priority === 'number' ? { priority } : {}),
    ...(typeof messageId === 'string' ? { messageId } : {}),
    ...(typeof correlationId === 'string' ? { correlationId } : {}),
    ...(typeof type === 'string' ? { type } : {}),
    ...(typeof contentType === 'string' ? { contentType } : {}),
  };
}

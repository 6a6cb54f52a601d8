import { createHash } from 'node:crypto';
import type { MessageProperties } from 'amqplib';
import { DEAD_LETTER_HEADERS } from './dead-letter';
import { withoutDeliveryHeaders } from './delivery-count';

/** One message of the dead-letter queue as `wlm dlq` shows it. */
export interface DeadLetterView {
  /** `x-wlm-dead-letter-id`, or for a message the broker itself dead-lettered a hash of it. */
  readonly id: string;
  /** Where a replay sends it; undefined when nothing says (it cannot be replayed). */
  readonly sourceQueue: string | undefined;
  readonly errorCode: string;
  readonly reason: string;
  /** The consumer that gave up on it, when a wlm consumer did. */
  readonly consumer: string | undefined;
  readonly deadLetteredAt: string | undefined;
  /** Deliveries it had, the last one included, when known. */
  readonly deliveries: number | undefined;
  readonly messageId: string | undefined;
  readonly priority: number | undefined;
  readonly bytes: number;
}

/** What `wlm dlq show` prints: the view, the body and every header. */
export interface DeadLetterDetail extends DeadLetterView {
  /** The body parsed as JSON, or as text when it is not JSON. */
  readonly body: unknown;
  readonly headers: Readonly<Record<string, unknown>>;
}

/** The parts of a fetched message a view is made of. */
export interface RawDeadLetter {
  readonly content: Buffer;
  readonly properties: Pick<MessageProperties, 'headers' | 'messageId' | 'priority'>;
}

/** Headers RabbitMQ adds when it dead-letters a message itself (a reject, an expiry, a full queue). */
const BROKER_HEADERS = ['x-death', 'x-first-death-queue', 'x-first-death-reason', 'x-first-death-exchange'];

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

function count(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function headersOf(message: RawDeadLetter): Record<string, unknown> {
  const headers: unknown = message.properties.headers;
  return typeof headers === 'object' && headers !== null ? (headers as Record<string, unknown>) : {};
}

/** The x-death entry of the first dead-lettering, as RabbitMQ records it. */
function firstDeath(headers: Record<string, unknown>): Record<string, unknown> | undefined {
  const deaths = headers['x-death'];
  if (!Array.isArray(deaths) || deaths.length === 0) return undefined;
  const last: unknown = deaths[deaths.length - 1];
  return typeof last === 'object' && last !== null ? (last as Record<string, unknown>) : undefined;
}

/**
 * When the broker dead-lettered it, as ISO 8601. amqplib decodes an AMQP timestamp (seconds since
 * the epoch) as `{ '!': 'timestamp', value }`, not as a Date.
 */
function deathTime(death: Record<string, unknown> | undefined): string | undefined {
  const time = death?.['time'];
  if (time instanceof Date) return time.toISOString();
  if (typeof time !== 'object' || time === null) return undefined;
  const seconds = (time as Record<string, unknown>)['value'];
  return typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : undefined;
}

/**
 * A stable id for a message without `x-wlm-dead-letter-id` (dead-lettered by the broker, or by an
 * older wlm): a hash of its body and of how it died, the same each time the queue is browsed.
 */
function fallbackId(message: RawDeadLetter, headers: Record<string, unknown>): string {
  const death = firstDeath(headers);
  const hash = createHash('sha256')
    .update(message.content)
    .update(
      JSON.stringify([
        message.properties.messageId ?? null,
        text(headers['x-first-death-queue']) ?? null,
        text(headers['x-first-death-reason']) ?? null,
        deathTime(death) ?? null,
      ]),
    )
    .digest('hex');
  return `h-${hash.slice(0, 24)}`;
}

/** The view of one dead letter. */
export function deadLetterView(message: RawDeadLetter): DeadLetterView {
  const headers = headersOf(message);
  const brokerReason = text(headers['x-first-death-reason']);
  const death = firstDeath(headers);
  return {
    id: text(headers[DEAD_LETTER_HEADERS.id]) ?? fallbackId(message, headers),
    sourceQueue: text(headers[DEAD_LETTER_HEADERS.sourceQueue]) ?? text(headers['x-first-death-queue']),
    errorCode:
      text(headers[DEAD_LETTER_HEADERS.errorCode]) ??
      (brokerReason === undefined ? 'UNKNOWN' : `BROKER_${brokerReason.toUpperCase()}`),
    reason:
      text(headers[DEAD_LETTER_HEADERS.error]) ??
      (brokerReason === undefined ? 'no reason recorded' : `dead-lettered by RabbitMQ: ${brokerReason}`),
    consumer: text(headers[DEAD_LETTER_HEADERS.consumer]),
    deadLetteredAt: text(headers[DEAD_LETTER_HEADERS.deadLetteredAt]) ?? deathTime(death),
    deliveries: count(headers[DEAD_LETTER_HEADERS.deliveries]) ?? count(death?.['count']),
    messageId: message.properties.messageId as string | undefined,
    priority: typeof message.properties.priority === 'number' ? message.properties.priority : undefined,
    bytes: message.content.length,
  };
}

/** The view with the body (parsed when it is JSON) and the headers. */
export function deadLetterDetail(message: RawDeadLetter): DeadLetterDetail {
  const raw = message.content.toString('utf8');
  let body: unknown = raw;
  try {
    body = JSON.parse(raw);
  } catch {
    // Not JSON (an invalid message is often why it is here): shown as text.
  }
  return { ...deadLetterView(message), body, headers: headersOf(message) };
}

/**
 * The headers a replayed message is published with: the original's, without the reason, the
 * delivery count or the broker's death records, so it starts afresh (marked with where it came from).
 */
export function replayHeaders(message: RawDeadLetter, id: string): Record<string, unknown> {
  const kept = withoutDeliveryHeaders(headersOf(message), [
    ...Object.values(DEAD_LETTER_HEADERS),
    ...BROKER_HEADERS,
  ]);
  return { ...kept, 'x-wlm-replayed-from': id };
}

import { randomUUID } from 'node:crypto';
import type { MessageProperties } from 'amqplib';
import { originOf } from './delivery-count';

/** Headers a dead-lettered message carries, for the person (or tool) reading the dead-letter queue. */
export const DEAD_LETTER_HEADERS = {
  /** Why: the validation issues with their field paths, or the handler's error. */
  error: 'x-wlm-error',
  /**
   * A stable code: `MESSAGE_INVALID`, `REDELIVERY_LIMIT`, a WlmError code, the error's own code, or
   * `HANDLER_FAILED`.
   */
  errorCode: 'x-wlm-error-code',
  sourceQueue: 'x-wlm-source-queue',
  sourceExchange: 'x-wlm-source-exchange',
  sourceRoutingKey: 'x-wlm-source-routing-key',
  deadLetteredAt: 'x-wlm-dead-lettered-at',
  /** A UUID stamped when dead-lettering: how `wlm dlq` names one dead letter. */
  id: 'x-wlm-dead-letter-id',
  /** The consumer that gave up on it: its connection name, host and process id. */
  consumer: 'x-wlm-consumer',
  /** How many deliveries the message had, the last one included. */
  deliveries: 'x-wlm-dead-letter-deliveries',
} as const;

/** AMQP header tables are limited to 64 KiB in all; a reason needs far less. */
const MAX_REASON_LENGTH = 4000;

/** An error as one line of text for a header, cut to a size a header table can carry. */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH)}…` : text;
}

/** The code a dead letter of `error` carries: its own `code`, else `HANDLER_FAILED`. */
export function errorCodeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const { code } = error as { code: unknown };
    if (typeof code === 'string' || typeof code === 'number') return String(code);
  }
  return 'HANDLER_FAILED';
}

/** What a dead-lettered message was, as far as its headers go: a consumed or a fetched (`get`) one. */
export interface DeadLetterSource {
  readonly properties: Pick<MessageProperties, 'headers'>;
  readonly fields: { readonly exchange: string; readonly routingKey: string };
}

/** Who gave up on a message and after how many deliveries; the code overrides the error's own. */
export interface DeadLetterDetails {
  readonly consumer?: string;
  readonly deliveries?: number;
  readonly code?: string;
}

/** The original headers plus the reason, where the message came from, who gave up and a fresh id. */
export function deadLetterHeaders(
  message: DeadLetterSource,
  queue: string,
  reason: unknown,
  details: DeadLetterDetails = {},
): Record<string, unknown> {
  const original: unknown = message.properties.headers;
  const headers =
    typeof original === 'object' && original !== null ? (original as Record<string, unknown>) : {};
  const origin = originOf(headers, message.fields);
  return {
    ...headers,
    [DEAD_LETTER_HEADERS.error]: reasonOf(reason),
    [DEAD_LETTER_HEADERS.errorCode]: details.code ?? errorCodeOf(reason),
    [DEAD_LETTER_HEADERS.sourceQueue]: queue,
    [DEAD_LETTER_HEADERS.sourceExchange]: origin.exchange,
    [DEAD_LETTER_HEADERS.sourceRoutingKey]: origin.routingKey,
    [DEAD_LETTER_HEADERS.deadLetteredAt]: new Date().toISOString(),
    [DEAD_LETTER_HEADERS.id]: randomUUID(),
    ...(details.consumer === undefined ? {} : { [DEAD_LETTER_HEADERS.consumer]: details.consumer }),
    ...(details.deliveries === undefined ? {} : { [DEAD_LETTER_HEADERS.deliveries]: details.deliveries }),
  };
}

import type { ConsumeMessage } from 'amqplib';

/** Headers a dead-lettered message carries, for the person (or tool) reading the dead-letter queue. */
export const DEAD_LETTER_HEADERS = {
  /** Why: the validation issues with their field paths, or the handler's error. */
  error: 'x-wlm-error',
  /** A stable code: `MESSAGE_INVALID`, a WlmError code, the error's own code, or `HANDLER_FAILED`. */
  errorCode: 'x-wlm-error-code',
  sourceQueue: 'x-wlm-source-queue',
  sourceExchange: 'x-wlm-source-exchange',
  sourceRoutingKey: 'x-wlm-source-routing-key',
  deadLetteredAt: 'x-wlm-dead-lettered-at',
} as const;

/** AMQP header tables are limited to 64 KiB in all; a reason needs far less. */
const MAX_REASON_LENGTH = 4000;

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH)}…` : text;
}

function codeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const { code } = error as { code: unknown };
    if (typeof code === 'string' || typeof code === 'number') return String(code);
  }
  return 'HANDLER_FAILED';
}

/** The original headers plus the reason and where the message came from. */
export function deadLetterHeaders(
  message: ConsumeMessage,
  queue: string,
  reason: unknown,
): Record<string, unknown> {
  const original: unknown = message.properties.headers;
  return {
    ...(typeof original === 'object' && original !== null ? original : {}),
    [DEAD_LETTER_HEADERS.error]: reasonOf(reason),
    [DEAD_LETTER_HEADERS.errorCode]: codeOf(reason),
    [DEAD_LETTER_HEADERS.sourceQueue]: queue,
    [DEAD_LETTER_HEADERS.sourceExchange]: message.fields.exchange,
    [DEAD_LETTER_HEADERS.sourceRoutingKey]: message.fields.routingKey,
    [DEAD_LETTER_HEADERS.deadLetteredAt]: new Date().toISOString(),
  };
}

import type { z } from 'zod';
import { MessageValidationError } from '../errors/message-validation-error';
import { describeIssue } from './issue-path';
import { wireRegistry } from './registry';

/** More issues than this add nothing for the reader and bloat dead-letter headers. */
const MAX_REPORTED_ISSUES = 20;

/** One line per issue; `(message)` marks an issue of the whole message, so no one looks for a field. */
function issueLines(issues: readonly z.core.$ZodIssue[]): string[] {
  const described = issues
    .slice(0, MAX_REPORTED_ISSUES)
    .map((issue) => describeIssue(issue, issue.path.length === 0 ? '(message)' : ''));
  if (issues.length > MAX_REPORTED_ISSUES)
    described.push(`… and ${issues.length - MAX_REPORTED_ISSUES} more`);
  return described;
}

function messageTypeOf(schema: z.ZodType): string {
  return wireRegistry.get(schema)?.messageType ?? 'message';
}

function decodeBody(input: unknown, messageType: string): unknown {
  if (!(input instanceof Uint8Array) && typeof input !== 'string') return input;
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new MessageValidationError(messageType, [`(body): not valid JSON: ${(error as Error).message}`]);
  }
}

/**
 * Validates a received message against its wire schema and returns it typed.
 *
 * @param input the raw body (a Buffer, or a string of JSON text) or an already decoded value.
 * @throws MessageValidationError naming the message type and each wrong field by its path.
 */
export function parseMessage<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const messageType = messageTypeOf(schema);
  const result = schema.safeParse(decodeBody(input, messageType));
  if (!result.success) throw new MessageValidationError(messageType, issueLines(result.error.issues));
  return result.data;
}

/**
 * Validates an outgoing message (a sender's bug surfaces here, not in every consumer's dead-letter
 * queue) and encodes it as UTF-8 JSON, defaults filled in.
 *
 * @throws MessageValidationError as {@link parseMessage} does.
 */
export function encodeMessage<S extends z.ZodType>(schema: S, message: z.input<S>): Buffer {
  return Buffer.from(JSON.stringify(parseMessage(schema, message)), 'utf8');
}

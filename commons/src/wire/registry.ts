import { z } from 'zod';

/** Metadata every wire schema registers, so validation errors can say which message was wrong. */
export interface WireMessageMeta {
  /** The message's name, as docs/architecture.md and the logs use it, e.g. `TaskRequest`. */
  messageType: string;
}

/** The registry of wire schemas; {@link parseMessage} reads the message type from it. */
export const wireRegistry = z.registry<WireMessageMeta>();

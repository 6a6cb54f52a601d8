import { WlmError } from './wlm-error';

/**
 * The Serf agent could not be reached, dropped the connection, or did not answer in time. Retryable,
 * unless the client was closed on purpose (`closed: true`): then nothing will ever succeed on it.
 */
export class SerfUnavailableError extends WlmError {
  override readonly name = 'SerfUnavailableError';

  constructor(
    /** The agent's RPC address, `host:port`. */
    readonly addr: string,
    message: string,
    options: { cause?: unknown; closed?: boolean } = {},
  ) {
    super('SERF_UNAVAILABLE', message, { cause: options.cause, retryable: options.closed !== true });
  }

  /** True when the client was closed by its owner rather than cut off. */
  get closed(): boolean {
    return !this.retryable;
  }
}

import { WlmError } from '@wlm/commons/errors';

/** Which store did not answer. */
export type TimedOutStore = 'mysql' | 'neo4j';

/**
 * A store call did not finish within its time limit — the server is silent, overloaded, or a lock
 * is held by a session that went silent. Retryable: every store write is idempotent, so the caller
 * (an event batch, a recovery pass, an API request) may simply try again later.
 */
export class StoreTimeoutError extends WlmError {
  override readonly name = 'StoreTimeoutError';

  constructor(
    readonly store: TimedOutStore,
    /** The store method that timed out, e.g. `recordTaskRuns`. */
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super('STORE_TIMEOUT', `${store} did not answer ${operation} within ${timeoutMs} ms`, {
      retryable: true,
    });
  }
}

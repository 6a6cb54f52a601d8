import { StoreTimeoutError } from '../errors/store-timeout-error';
import type { TimedOutStore } from '../errors/store-timeout-error';

/** Which call a deadline bounds, and how long it may take. */
export interface DeadlineSpec {
  store: TimedOutStore;
  operation: string;
  timeoutMs: number;
}

/**
 * Runs `call` and rejects with a retryable {@link StoreTimeoutError} if it has not settled within
 * `timeoutMs` — whether or not `call` notices. `call` gets a signal that aborts at the deadline, so it
 * can stop retrying and drop the connection it waits on (a silent server would keep it for ever).
 */
export async function withDeadline<T>(
  spec: DeadlineSpec,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new StoreTimeoutError(spec.store, spec.operation, spec.timeoutMs);
      deadline.abort(error);
      reject(error);
    }, spec.timeoutMs);
  });
  const running = call(deadline.signal);
  // Once the deadline has answered, a late failure of the abandoned call is nobody's business.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}

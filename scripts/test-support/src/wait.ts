import { setTimeout as sleep } from 'node:timers/promises';

/** How long {@link eventually} and {@link waitFor} wait when the caller names no timeout. */
const DEFAULT_TIMEOUT_MS = 20_000;
/** Between two reads: short enough that a test waits little past the moment the state is reached. */
const POLL_MS = 25;

/**
 * Polls `read` until `done` holds for its value and returns that value; after `timeoutMs` (default
 * 20 s) fails naming `what` and the last value seen, so a failing test says what it waited for.
 *
 * @example
 * const [w1] = await eventually('w1 alive', () => client.membersFiltered({ name: 'w1' }), ([m]) => m?.status === 'alive');
 */
export async function eventually<T>(
  what: string,
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${show(value)}`);
    }
    await sleep(POLL_MS);
  }
}

/**
 * {@link eventually} for a plain condition: resolves once `condition` holds, fails naming `what`
 * after `timeoutMs` (default 20 s).
 *
 * @example
 * await waitFor('the scheduler to see w1', () => known.has('w1'));
 */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<void> {
  await eventually(what, condition, (holds) => holds, timeoutMs);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

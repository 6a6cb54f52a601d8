import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `read` every 50 ms until `done` holds for its value and returns that value; after
 * `timeoutMs` fails naming `what` and the last value seen, so a failing test says what it waited for.
 */
export async function eventually<T>(
  what: string,
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${show(value)}`);
    }
    await sleep(50);
  }
}

/** {@link eventually} for a plain condition. */
export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  await eventually(what, condition, (holds) => holds, timeoutMs);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

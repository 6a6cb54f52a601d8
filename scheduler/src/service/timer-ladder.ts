import { TIMER_DELAYS_MS } from '@wlm/commons/amqp';

/**
 * A timer this close to its due time (or past it) is due: less than half the shortest delay, so
 * sending it round once more could only make it later.
 */
export const TIMER_SLACK_MS = Math.floor((TIMER_DELAYS_MS[0] ?? 500) / 2);

/**
 * The delay queue for a timer with `remainingMs` to go: the longest delay that does not overshoot,
 * or the shortest one when even that does (the timer then fires at most that much late).
 */
export function timerDelay(remainingMs: number): number {
  let chosen = TIMER_DELAYS_MS[0] ?? 500;
  for (const delayMs of TIMER_DELAYS_MS) if (delayMs <= remainingMs) chosen = delayMs;
  return chosen;
}

/** Whether a timer due at `dueAt` is due at `now`. */
export function isDue(dueAt: number, now: number): boolean {
  return dueAt - now <= TIMER_SLACK_MS;
}

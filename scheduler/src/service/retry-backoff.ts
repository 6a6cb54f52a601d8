import { DEFAULT_RETRY_POLICY, MAX_EXCLUDED_WORKERS } from '@wlm/commons/wire';
import type { RetryPolicy, TaskRequest } from '@wlm/commons/wire';

/** The longest a retry waits by default, however many attempts came before. */
export const DEFAULT_MAX_BACKOFF_MS = 5 * 60_000;

/**
 * The wait before the attempt after `failedAttempt`: `backoffMs · 2^(failedAttempt − 1)`, capped at
 * `maxMs` — so with the default policy 1 s before attempt 2, 2 s before attempt 3.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  failedAttempt: number,
  maxMs = DEFAULT_MAX_BACKOFF_MS,
): number {
  const exponent = Math.max(0, failedAttempt - 1);
  // 2^exponent overflows to Infinity past ~1024, which Math.min handles; no loop, no precision worry.
  return Math.min(maxMs, policy.backoffMs * 2 ** exponent);
}

/** The request's own retry policy, else {@link DEFAULT_RETRY_POLICY}. */
export function retryPolicyOf(request: Pick<TaskRequest, 'retry'>): RetryPolicy {
  return request.retry ?? DEFAULT_RETRY_POLICY;
}

/** Whether a retryable failure of `request` gets another attempt under its policy. */
export function hasAttemptsLeft(request: Pick<TaskRequest, 'retry' | 'attempt'>): boolean {
  return request.attempt < retryPolicyOf(request).maxAttempts;
}

/**
 * `excludeWorkers` plus `workerId` (once, last), keeping the wire schema's bound: the oldest
 * exclusions go first. The scheduler is the one place that decides exclusion — a worker's FAILED
 * only says where it ran (`workerId`), and a lost worker cannot say anything.
 */
export function withExcluded(
  excluded: readonly string[] | undefined,
  workerId: string | undefined,
): string[] {
  const list = (excluded ?? []).filter((id) => id !== workerId);
  if (workerId !== undefined) list.push(workerId);
  return list.slice(-MAX_EXCLUDED_WORKERS);
}

export interface NextAttemptOptions {
  /** The worker the failed attempt ran on, excluded from the next one. */
  readonly failedOn?: string | undefined;
  /** Wait before the next attempt (`notBefore = now + delayMs`); 0 places it at once. */
  readonly delayMs: number;
  readonly now: Date;
}

/**
 * The request for the attempt after `request`: attempt + 1, the worker it failed on (or was lost
 * with) excluded, held until its backoff ends.
 */
export function nextAttemptRequest(request: TaskRequest, options: NextAttemptOptions): TaskRequest {
  const next: TaskRequest = {
    ...request,
    attempt: request.attempt + 1,
    requestedAt: options.now.toISOString(),
    excludeWorkers: withExcluded(request.excludeWorkers, options.failedOn),
  };
  // The failed attempt's own backoff is over; the next one gets its own or none.
  delete next.notBefore;
  if (options.delayMs > 0) next.notBefore = new Date(options.now.getTime() + options.delayMs).toISOString();
  return next;
}

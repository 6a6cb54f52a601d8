import { DEFAULT_RETRY_POLICY, MAX_ATTEMPT, MAX_RETRY_ATTEMPTS } from '@wlm/commons/wire';
import type { DagDefinition } from '@wlm/commons/dag';
import type { RetryPolicy } from '@wlm/commons/wire';
import type { ReadyTask } from '../domain/dag-store';

/**
 * Attempt numbers. Every message names its attempt by (experimentId, run, taskId, attempt) — commons'
 * attempt identity — and attempt numbers also never repeat within an experiment, not even across
 * reruns, so that an attempt number alone names one execution of a task in the experiment's audit
 * trail and in the logs of every service:
 *
 * - run 1 starts every task at attempt 1;
 * - run r > 1 starts every task at {@link firstAttemptOfRun}, above any attempt an earlier run could
 *   still produce. Its concrete DAG records that number on every node before anything is dispatched,
 *   so the number survives crashes.
 */

/** Why tasks are being dispatched: decides what a node's recorded state means for its next attempt. */
export type DispatchReason =
  /** A fresh run's first tasks, or dependents whose predecessors just completed. */
  | 'ready'
  /** A new leader (or a restart) picking up a RUNNING experiment after a crash. */
  | 'recover'
  /** A user resumed a FAILED or CANCELLED experiment. */
  | 'resume';

/**
 * The attempt to dispatch a ready node with, or `undefined` when it must not be dispatched now.
 *
 * - PENDING: its recorded attempt (the run's first attempt), at least 1.
 * - QUEUED or RUNNING: after a crash nobody knows whether the request got out, so the same attempt
 *   goes again (consumers drop the duplicate). On resume the old attempt was cancelled with its
 *   experiment, so a new one starts: a duplicate of a cancelled attempt would be dropped as well.
 * - FAILED: while the experiment runs, a failed attempt is the scheduler's to retry (a final failure
 *   fails the experiment), so recovery leaves it alone; resume starts the next attempt.
 * - CANCELLED: nobody will retry it, so recovery and resume start the next attempt.
 */
export function dispatchAttempt(
  task: Pick<ReadyTask, 'state' | 'attempt'>,
  reason: DispatchReason,
): number | undefined {
  switch (task.state) {
    case 'PENDING':
      return Math.max(task.attempt, 1);
    case 'QUEUED':
    case 'RUNNING':
      if (reason === 'resume') return task.attempt + 1;
      return reason === 'recover' ? Math.max(task.attempt, 1) : undefined;
    case 'FAILED':
      return reason === 'resume' ? task.attempt + 1 : undefined;
    case 'CANCELLED':
      return reason === 'ready' ? undefined : task.attempt + 1;
    case 'COMPLETED':
      return undefined;
  }
}

/** The largest `retry.maxAttempts` of the DAG's tasks (the default policy's for tasks without one). */
export function largestRetryBudget(definition: DagDefinition): number {
  return Math.max(
    ...definition.tasks.map((task) => task.retry?.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts),
  );
}

/**
 * The first attempt of run `run`. An earlier run's attempts are at most one above the largest
 * recorded for it (a dispatch is recorded right after its publish, so a crash may leave the last one
 * unrecorded), and the scheduler's retries of an attempt stay within the budget it was given
 * ({@link retryPolicyFor}); starting above both leaves no overlap.
 */
export function firstAttemptOfRun(run: number, largestRecordedAttempt: number, retryBudget: number): number {
  if (run <= 1) return 1;
  return Math.min(MAX_ATTEMPT, largestRecordedAttempt + retryBudget + 1);
}

/**
 * The retry policy handed to the scheduler with `attempt`. The scheduler counts attempts from 1
 * (`attempt < maxAttempts` means "retry"), so an attempt that does not start at 1 — a resumed task,
 * a rerun — gets its budget shifted by the attempts before it; otherwise a resumed task would have
 * no retries left.
 */
export function retryPolicyFor(policy: RetryPolicy | undefined, attempt: number): RetryPolicy | undefined {
  if (attempt <= 1) return policy;
  const base = policy ?? DEFAULT_RETRY_POLICY;
  return {
    maxAttempts: Math.min(MAX_RETRY_ATTEMPTS, attempt - 1 + base.maxAttempts),
    backoffMs: base.backoffMs,
  };
}

import { PROTOCOL_FAILURE_CODES } from '@wlm/commons/wire';
import type { TaskEvent } from '@wlm/commons/wire';
import type { TaskRun } from '../domain/records';

export function isUnschedulable(event: TaskEvent): boolean {
  return event.state === 'FAILED' && event.errorCode === PROTOCOL_FAILURE_CODES.unschedulable;
}

const attemptKey = (item: { taskId: string; attempt: number }): string => `${item.taskId}#${item.attempt}`;

/**
 * The attempts a worker has been given, as far as the stores and this batch know: a queue timeout
 * is checked by a durable timer that cannot see whether some scheduler placed the attempt just
 * before it fired, so its FAILED is a claim the orchestrator checks here — a placed attempt is the
 * worker's to finish, and the late claim is dropped.
 */
export function placedAttempts(runs: readonly TaskRun[], events: readonly TaskEvent[]): Set<string> {
  const placed = new Set<string>();
  for (const run of runs) if (run.workerId !== null || run.state === 'RUNNING') placed.add(attemptKey(run));
  for (const event of events) {
    if (event.state === 'WAITING' || isUnschedulable(event)) continue;
    if (event.state !== 'FAILED' && event.state !== 'CANCELLED') placed.add(attemptKey(event));
    else if (event.workerId !== undefined) placed.add(attemptKey(event));
  }
  return placed;
}

/** Whether `event` is a queue-timeout FAILED for an attempt that was placed after all. */
export function isSupersededUnschedulable(event: TaskEvent, placed: ReadonlySet<string>): boolean {
  return isUnschedulable(event) && placed.has(attemptKey(event));
}

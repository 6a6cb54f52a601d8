/**
 * The scheduler service: request dispatch, retries, cancels, lost-worker recovery, lifecycle.
 *
 * @example
 * ```ts
 * const scheduler = await SchedulerService.start({ config: loadConfig(), logger, namespace: 'wlm' });
 * console.log(scheduler.status().requests.held);
 * await scheduler.close();
 * ```
 */
export { SchedulerService } from './scheduler-service';
export type { SchedulerStatus } from './scheduler-service';
export { compileSchedulerOptions } from './scheduler-options';
export type { CompiledSchedulerOptions, SchedulerServiceOptions } from './scheduler-options';
export type { SchedulerServiceEvents } from './service-events';
export type { DispatcherStatus } from './request-dispatcher';
export { HeldRequests, compareDue, compareHeld } from './held-requests';
export type { DueOrder, HeldOrder } from './held-requests';
export {
  DEFAULT_MAX_BACKOFF_MS,
  hasAttemptsLeft,
  nextAttemptRequest,
  retryDelayMs,
  retryPolicyOf,
  withExcluded,
} from './retry-backoff';
export type { NextAttemptOptions } from './retry-backoff';
export { SCHEDULER_FAILURE_CODES, SchedulerMessages, isFromWorker } from './scheduler-messages';
export { WorkerQueueDrainer } from './worker-queue-drainer';
export type { DrainResult, WorkerQueueDrainerOptions } from './worker-queue-drainer';

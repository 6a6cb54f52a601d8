import type { ServiceState } from '@wlm/commons/lifecycle';
import type { IncidentTask, TaskRequest } from '@wlm/commons/wire';
import type { WorkerFailedInfo, WorkerRecoveredInfo, WorkerView } from '../registry';

/** Typed events of a {@link SchedulerService}. */
export interface SchedulerServiceEvents {
  /** The scheduler's lifecycle moved (`ServiceLifecycle`). */
  state: [state: ServiceState, previous: ServiceState];
  /** A request was assigned to a worker (both publishes confirmed). */
  'task:placed': [placed: { request: TaskRequest; workerId: string; assignmentId: string; waitedMs: number }];
  /** A request waits: for capacity, for its `notBefore`, or for a live worker that runs its type. */
  'task:held': [held: { request: TaskRequest; reason: 'capacity' | 'not-before' | 'no-worker' }];
  /** A request was not placed within its `queueTimeoutMs`: its task failed with TASK_UNSCHEDULABLE. */
  'task:unschedulable': [request: Pick<TaskRequest, 'experimentId' | 'taskId' | 'attempt' | 'taskType'>];
  /**
   * A copy of a request was acknowledged without placing it: its attempt was placed before (by any
   * instance), or another copy of it is held here and is placed instead.
   */
  'task:duplicate': [request: TaskRequest];
  /** A held or late request was dropped by a cancel (a CANCELLED event was published). */
  'task:cancelled': [request: TaskRequest];
  /** A retryable failure was answered with the next attempt. */
  'task:retried': [retry: { request: TaskRequest; delayMs: number }];
  /** A round ended with a checkpoint (DEFERRED) and its next round was requested. */
  'task:continued': [request: TaskRequest];
  /** A retryable failure on the last allowed attempt became the task's final failure. */
  'task:exhausted': [request: TaskRequest];
  'worker:joined': [worker: WorkerView];
  'worker:failed': [worker: WorkerView, info: WorkerFailedInfo];
  'worker:left': [worker: WorkerView];
  /** Serf says alive, but its queue has no consumer: no new work for it, its queued work moved. */
  'worker:unreachable': [worker: WorkerView];
  'worker:reachable': [worker: WorkerView];
  'worker:recovered': [worker: WorkerView, info: WorkerRecoveredInfo];
  /** Assignments were taken off a lost worker's queue and requested again. */
  'worker:drained': [drained: { workerId: string; tasks: readonly IncidentTask[] }];
}

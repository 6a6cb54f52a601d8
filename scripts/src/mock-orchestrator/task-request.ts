import { attemptKey } from '@wlm/commons/wire';
import type { TaskRequestInput } from '@wlm/commons/wire';
import type { TaskDispatch } from './dag-driver';

/**
 * The TaskRequest of a ready task, as the orchestrator would send it: the first attempt (the
 * scheduler numbers retries itself), the DAG's priority, and the task's params as its context
 * (generated DAGs have no templates to resolve).
 */
export function toTaskRequest(dispatch: TaskDispatch, requestedAt: Date): TaskRequestInput {
  const { task } = dispatch;
  return {
    v: 1,
    experimentId: dispatch.experimentId,
    run: 1,
    taskId: dispatch.taskId,
    attempt: 1,
    taskType: task.type,
    context: task.params ?? {},
    priority: dispatch.priority,
    requestedAt: requestedAt.toISOString(),
    ...(task.retry === undefined ? {} : { retry: task.retry }),
    ...(task.timeoutMs === undefined ? {} : { timeoutMs: task.timeoutMs }),
    ...(task.constraints === undefined ? {} : { constraints: task.constraints }),
  };
}

/** The AMQP message id of a request: its attempt's key (generated DAGs run once, first attempt). */
export function requestMessageId(dispatch: TaskDispatch): string {
  return attemptKey({ experimentId: dispatch.experimentId, run: 1, taskId: dispatch.taskId, attempt: 1 });
}

import { paramsLimitProblems, renderParams } from '@wlm/commons/dag';
import { MessageValidationError } from '@wlm/commons/errors';
import type { TaskRequestInput } from '@wlm/commons/wire';
import type { ReadyTask } from '../domain/dag-store';
import { retryPolicyFor } from './attempts';

/** What a request needs from its experiment besides the node. */
export interface RequestExperiment {
  priority: number;
}

/**
 * The TaskRequest for one ready node: params rendered with the experiment's inputs and the upstream
 * outputs, the DAG's retry policy (shifted for attempts past the first), timeout and constraints.
 *
 * @throws TemplateResolutionError when a template names an output the upstream task did not produce;
 *   MessageValidationError when the rendered params break a limit of the wire (upstream outputs can
 *   make them deeper or larger than any check before the task was ready could see).
 */
export function buildTaskRequest(
  task: ReadyTask,
  attempt: number,
  experiment: RequestExperiment,
  now: Date,
): TaskRequestInput {
  const tasks = Object.fromEntries(
    Object.entries(task.upstreamOutputs).map(([taskId, outputs]) => [taskId, { outputs }]),
  );
  const context = renderParams(task.context.params, { inputs: task.context.inputs, tasks });
  const problems = paramsLimitProblems(context, { subject: 'rendered params' });
  if (problems.length > 0) throw new MessageValidationError('TaskRequest', problems);
  const retry = retryPolicyFor(task.context.retry, attempt);
  const request: TaskRequestInput = {
    v: 1,
    experimentId: task.experimentId,
    taskId: task.taskId,
    attempt,
    run: task.run,
    taskType: task.taskType,
    context,
    priority: experiment.priority,
    requestedAt: now.toISOString(),
  };
  if (retry !== undefined) request.retry = retry;
  if (task.context.timeoutMs !== undefined) request.timeoutMs = task.context.timeoutMs;
  if (task.context.queueTimeoutMs !== undefined) request.queueTimeoutMs = task.context.queueTimeoutMs;
  if (task.context.constraints !== undefined) request.constraints = task.context.constraints;
  return request;
}

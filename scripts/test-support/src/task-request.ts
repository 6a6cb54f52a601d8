import type { TaskRequestInput } from '@wlm/commons/wire';

/**
 * A valid task request as the orchestrator publishes it: the first attempt of run 1 of an `echo`
 * task, priority 5, empty context, requested now. Override what the test or benchmark is about.
 *
 * @example
 * await broker.request(taskRequest(`${namespace}.routing`, 'shell1', { taskType: 'shell' }));
 */
export function taskRequest(
  experimentId: string,
  taskId: string,
  overrides: Partial<TaskRequestInput> = {},
): TaskRequestInput {
  return {
    v: 1,
    experimentId,
    run: 1,
    taskId,
    attempt: 1,
    taskType: 'echo',
    context: {},
    priority: 5,
    requestedAt: new Date().toISOString(),
    ...overrides,
  };
}

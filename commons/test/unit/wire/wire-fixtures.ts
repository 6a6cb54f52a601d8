import type { TaskAssignmentInput, TaskEventInput, TaskRequestInput } from '@wlm/commons/wire';

export const AT = '2025-01-02T03:04:05.678Z';

export function validRequest(): TaskRequestInput {
  return {
    v: 1,
    experimentId: 'exp-42',
    run: 1,
    taskId: 'stage-in',
    attempt: 1,
    taskType: 'data-staging',
    context: { files: ['a.dat', 'b.dat'], sizeMb: 12.5, overwrite: false, note: null },
    priority: 5,
    constraints: { labels: { site: 'local' }, minPluginVersion: '1.2.0' },
    retry: { maxAttempts: 3, backoffMs: 500 },
    timeoutMs: 60_000,
    requestedAt: AT,
  };
}

export function validAssignment(): TaskAssignmentInput {
  return { ...validRequest(), assignmentId: 'as-1', workerId: 'worker-1', assignedAt: AT };
}

export function eventBase(): Omit<Extract<TaskEventInput, { state: 'RUNNING' }>, 'state'> {
  return {
    v: 1,
    experimentId: 'exp-42',
    run: 1,
    taskId: 'stage-in',
    attempt: 2,
    workerId: 'worker-1',
    at: AT,
  };
}

/** A copy of `value` without `keys`, to build a message that lacks fields. */
export function without<T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> {
  const copy: Partial<T> = { ...value };
  for (const key of keys) delete copy[key];
  return copy as Omit<T, K>;
}

/** Returns the issues of the MessageValidationError `fn` throws; fails the test when it does not throw. */
export function issuesOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error && error.name === 'MessageValidationError') {
      return (error as Error & { issues: readonly string[] }).issues;
    }
    throw error;
  }
  throw new Error('expected a MessageValidationError, but the message was accepted');
}

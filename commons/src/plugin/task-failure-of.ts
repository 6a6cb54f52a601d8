import { TaskFailure } from '../errors/task-failure';
import { WlmError } from '../errors/wlm-error';

/**
 * A {@link WlmError} (an unreachable compute resource, a refused login, a remote command that
 * failed) as the TaskFailure that fails the task with the same code, message and retryability.
 * Anything else is returned as it is, for the worker to report as a plugin error.
 */
export function taskFailureOf(error: unknown): unknown {
  if (!(error instanceof WlmError)) return error;
  return new TaskFailure(error.code, error.message, { retryable: error.retryable, cause: error });
}

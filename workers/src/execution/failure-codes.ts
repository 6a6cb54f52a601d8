import { defineFailureCodes } from '@wlm/commons/wire';

/**
 * The codes the worker reports when a task fails outside the plugin's own `TaskFailure`s: its part
 * of the failure-code registry. Retryability is fixed per code, except `TASK_PLUGIN_ERROR` (always
 * retryable).
 */
export const TASK_FAILURE_CODES = defineFailureCodes('worker', {
  INPUT_INVALID: {
    code: 'TASK_INPUT_INVALID',
    retryable: false,
    meaning: "the params did not match the plugin's input schema",
  },
  OUTPUT_INVALID: {
    code: 'TASK_OUTPUT_INVALID',
    retryable: false,
    meaning: 'the plugin returned outputs that do not match its output schema, or that the wire refuses',
  },
  PLUGIN_ERROR: {
    code: 'TASK_PLUGIN_ERROR',
    retryable: true,
    meaning: 'the plugin threw something other than a TaskFailure',
  },
  PLUGIN_LOAD_FAILED: {
    code: 'TASK_PLUGIN_LOAD_FAILED',
    retryable: true,
    meaning: 'the plugin module could not be loaded in the task process (another worker may)',
  },
  TIMED_OUT: {
    code: 'TASK_TIMED_OUT',
    retryable: true,
    meaning: 'the task ran past its timeout and was killed',
  },
  PROCESS_EXITED: {
    code: 'TASK_PROCESS_EXITED',
    retryable: true,
    meaning: 'the task process exited or was killed before reporting a result',
  },
  OUT_OF_MEMORY: {
    code: 'TASK_OUT_OF_MEMORY',
    retryable: true,
    meaning: 'the task process ran past its memory cap',
  },
  UNCAUGHT_EXCEPTION: {
    code: 'TASK_UNCAUGHT_EXCEPTION',
    retryable: true,
    meaning: "the plugin raised an exception outside run's promise, e.g. in a timer",
  },
  RUNNER_ERROR: {
    code: 'TASK_RUNNER_ERROR',
    retryable: true,
    meaning: 'the task process could not be started or broke the IPC protocol',
  },
  TYPE_NOT_SERVED: {
    code: 'TASK_TYPE_NOT_SERVED',
    retryable: true,
    meaning:
      'the assignment reached a worker without a plugin for its task type (another worker may have one)',
  },
});

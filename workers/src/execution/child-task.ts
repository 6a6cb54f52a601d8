import { getHeapStatistics } from 'node:v8';
import { ComputeResources, isTaskContinuation, isTaskFailure } from '@wlm/commons/plugin';
import { importPlugin, loadErrorMessage, messageOf } from '@wlm/commons/plugin-host';
import type { Logger, TaskContext, TaskContinuation, TaskPlugin } from '@wlm/commons/plugin';
import { describeIssues } from '@wlm/commons/wire';
import { TASK_FAILURE_CODES } from './failure-codes';
import { sendFailure, sendToParent } from './child-channel';
import { createChildLogger } from './child-logger';
import { IPC_LIMITS } from './ipc-messages';
import type { ContinuationMessage, FailureMessage, ResultMessage, StartMessage } from './ipc-messages';
import { findNonJson } from './json-check';
import { clip } from './error-message';

type Failure = Omit<FailureMessage, 'type' | 'fatal'>;
type TaskOutputs = ResultMessage['outputs'];
type Continuation = Omit<ContinuationMessage, 'type' | 'heapUsedBytes'>;
type Outcome = Failure | Continuation | { outputs: TaskOutputs };

/**
 * Runs one task inside the task process and reports its result or failure to the worker. Never
 * throws: every way a plugin can fail within its promise becomes a failure message.
 */
export async function runTaskInChild(start: StartMessage, signal: AbortSignal): Promise<void> {
  const logger = createChildLogger(start.logLevel);
  const outcome = await execute(start, signal, logger);
  if ('reason' in outcome) {
    await sendFailure({ ...outcome, fatal: false });
  } else if ('checkpoint' in outcome) {
    await sendToParent({
      type: 'continuation',
      ...outcome,
      heapUsedBytes: heapUsedBytes(),
    });
  } else {
    await sendToParent({
      type: 'result',
      outputs: outcome.outputs,
      heapUsedBytes: heapUsedBytes(),
    });
  }
}

/**
 * The V8 heap in use, which the worker checks to retire a leaking process. Not
 * `process.memoryUsage()`: that also reads the resident set from `/proc`, about fifty times the
 * cost, once per task.
 */
function heapUsedBytes(): number {
  return getHeapStatistics().used_heap_size;
}

async function execute(start: StartMessage, signal: AbortSignal, logger: Logger): Promise<Outcome> {
  let plugin: TaskPlugin;
  try {
    plugin = await importPlugin(start.modulePath);
  } catch (error) {
    // Retryable: the module loaded when the worker started, so this is local to this worker.
    return { code: TASK_FAILURE_CODES.PLUGIN_LOAD_FAILED, retryable: true, reason: loadErrorMessage(error) };
  }
  if (plugin.name !== start.taskType) {
    return {
      code: TASK_FAILURE_CODES.PLUGIN_LOAD_FAILED,
      retryable: true,
      reason: `module ${start.modulePath} provides task type "${plugin.name}", not "${start.taskType}"`,
    };
  }
  const input = plugin.inputSchema.safeParse(start.params);
  if (!input.success) {
    return {
      code: TASK_FAILURE_CODES.INPUT_INVALID,
      retryable: false,
      reason: `invalid params for task type ${plugin.name}: ${describeIssues(input.error.issues, 'params')}`,
    };
  }
  const ctx = contextFor(start, input.data, logger);
  if (start.purpose === 'cancel') return cancelBetweenRounds(plugin, ctx, signal);
  let outputs: unknown;
  try {
    outputs = await plugin.run(ctx, signal);
  } catch (error) {
    if (isTaskContinuation(error)) return continuationFrom(error, plugin, logger);
    return failureFromError(error, signal, logger);
  }
  return checkOutputs(plugin, outputs);
}

/** A plugin without `cancel` holds nothing between rounds, so there is nothing to release. */
async function cancelBetweenRounds(
  plugin: TaskPlugin,
  ctx: TaskContext<unknown>,
  signal: AbortSignal,
): Promise<Outcome> {
  if (plugin.cancel === undefined) return { outputs: null };
  try {
    await plugin.cancel(ctx, signal);
  } catch (error) {
    return failureFromError(error, signal, ctx.logger);
  }
  return { outputs: null };
}

function continuationFrom(
  continuation: TaskContinuation,
  plugin: TaskPlugin,
  logger: Logger,
): Failure | Continuation {
  const problem = findNonJson(continuation.checkpoint, 'checkpoint');
  if (problem !== undefined) {
    return {
      code: TASK_FAILURE_CODES.OUTPUT_INVALID,
      retryable: false,
      reason: `task type ${plugin.name} saved a checkpoint the wire cannot carry: ${problem}`,
    };
  }
  logger.debug({ delayMs: continuation.delayMs }, 'round ended with a checkpoint');
  return {
    // Checked just above; the worker validates it again on receipt.
    checkpoint: continuation.checkpoint as TaskOutputs,
    delayMs: continuation.delayMs,
    message: clip(continuation.message || 'waiting', IPC_LIMITS.progressChars),
  };
}

function contextFor(start: StartMessage, params: unknown, logger: Logger): TaskContext<unknown> {
  return {
    experimentId: start.experimentId,
    taskId: start.taskId,
    attempt: start.attempt,
    run: start.run,
    ...(start.checkpoint === undefined ? {} : { checkpoint: start.checkpoint }),
    params,
    ...(start.workDir === undefined ? {} : { workDir: start.workDir }),
    resources: new ComputeResources(start.settings.resources),
    localRoots: start.settings.localRoots,
    logger,
    progress(message: string, percent?: number): void {
      // Clamped rather than rejected: a sloppy percentage is no reason to fail a task.
      const clamped =
        percent === undefined || Number.isNaN(percent) ? undefined : Math.min(100, Math.max(0, percent));
      void sendToParent({
        type: 'progress',
        message: clip(message, IPC_LIMITS.progressChars),
        ...(clamped === undefined ? {} : { percent: clamped }),
      });
    },
  };
}

function checkOutputs(plugin: TaskPlugin, outputs: unknown): Failure | { outputs: TaskOutputs } {
  if (plugin.outputSchema !== undefined) {
    const checked = plugin.outputSchema.safeParse(outputs);
    if (!checked.success) {
      return {
        code: TASK_FAILURE_CODES.OUTPUT_INVALID,
        retryable: false,
        reason: `task type ${plugin.name} returned invalid outputs: ${describeIssues(checked.error.issues, 'outputs')}`,
      };
    }
    outputs = checked.data;
  }
  const problem = findNonJson(outputs, 'outputs');
  if (problem !== undefined) {
    return {
      code: TASK_FAILURE_CODES.OUTPUT_INVALID,
      retryable: false,
      reason: `task type ${plugin.name} returned outputs the wire cannot carry: ${problem}`,
    };
  }
  // Checked just above; the worker validates them again on receipt.
  return { outputs: outputs as TaskOutputs };
}

/** A plugin's own TaskFailure keeps its code and flag; anything else is a retryable plugin error. */
function failureFromError(error: unknown, signal: AbortSignal, logger: Logger): Failure {
  if (isTaskFailure(error)) {
    return { code: error.code, retryable: error.retryable, reason: error.message || error.code };
  }
  // The stack is for the log; the reason is for the user. After an abort, throwing is expected.
  logger[signal.aborted ? 'debug' : 'error']({ err: error }, 'task plugin threw');
  return { code: TASK_FAILURE_CODES.PLUGIN_ERROR, retryable: true, reason: messageOf(error) };
}

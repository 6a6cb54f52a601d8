import { taskAbortKind } from '@wlm/commons/plugin';
import type { Logger } from '@wlm/commons/logging';
import { TASK_FAILURE_CODES } from './failure-codes';
import type { CancelMessage, ChildMessage, StartMessage } from './ipc-messages';
import { outcomeOfExit } from './task-outcome';
import type { TaskOutcome } from './task-outcome';
import type { TaskProcess } from './task-process';

export interface TaskProgress {
  message: string;
  percent?: number;
}

export interface RunInProcessOptions {
  timeoutMs: number | undefined;
  /** After a cancel or timeout is sent, how long the plugin gets before the process is killed. */
  cancelGraceMs: number;
  memoryLimitMb: number;
  signal: AbortSignal | undefined;
  logger: Logger;
  onProgress: ((progress: TaskProgress) => void) | undefined;
  /** Each line the task logs or prints, formatted for its log tail. */
  onLogLine?: ((line: string) => void) | undefined;
}

export interface ProcessRunResult {
  outcome: TaskOutcome;
  /** Whether the process may serve another task; otherwise the caller must not reuse it. */
  reusable: boolean;
  heapUsedBytes?: number;
}

/**
 * Runs one task in `proc` and settles on the first of: the child's result or failure, the timeout,
 * the abort signal, or the child's death. Once a timeout or cancel has been decided, that is the
 * outcome whatever the child says afterwards, and the process is killed after the grace period.
 */
export function runInProcess(
  proc: TaskProcess,
  start: StartMessage,
  options: RunInProcessOptions,
): Promise<ProcessRunResult> {
  return new Promise((resolve) => {
    let settled = false;
    let ending: TaskOutcome | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const finish = (result: ProcessRunResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      proc.detach();
      if (!result.reusable) proc.kill();
      resolve(result);
    };
    // Ask the plugin to stop through its signal, and make sure the process goes if it does not.
    const end = (outcome: TaskOutcome, cancelReason: string, kind: StopKind): void => {
      if (ending !== undefined || settled) return;
      ending = outcome;
      options.logger.info({ reason: cancelReason, kind }, 'stopping task');
      proc.send({ type: 'cancel', kind, reason: cancelReason });
      killTimer = setTimeout(() => finish({ outcome, reusable: false }), options.cancelGraceMs);
    };

    const timeoutMs = options.timeoutMs;
    const timeoutTimer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            const reason = `timed out after ${timeoutMs} ms`;
            end(
              { status: 'failed', code: TASK_FAILURE_CODES.TIMED_OUT, retryable: true, reason },
              reason,
              'timeout',
            );
          }, timeoutMs);
    const onAbort = (): void => {
      const reason = abortReasonText(options.signal?.reason);
      // A worker stopping says so in its abort reason; any other abort is a cancel.
      const kind = taskAbortKind(options.signal?.reason) === 'shutdown' ? 'shutdown' : 'cancel';
      end({ status: 'cancelled', reason }, reason, kind);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // A throwing progress callback is the caller's bug; it must not take the worker down from here.
    const reportProgress = (progress: TaskProgress): void => {
      try {
        options.onProgress?.(progress);
      } catch (error) {
        options.logger.error({ err: error }, 'progress callback threw');
      }
    };

    proc.attach(
      {
        message: (message: ChildMessage) => {
          switch (message.type) {
            case 'progress':
              reportProgress(
                message.percent === undefined
                  ? { message: message.message }
                  : { message: message.message, percent: message.percent },
              );
              return;
            case 'result':
              if (ending !== undefined) finish({ outcome: ending, reusable: false });
              else {
                finish({
                  outcome: { status: 'completed', outputs: message.outputs },
                  reusable: true,
                  heapUsedBytes: message.heapUsedBytes,
                });
              }
              return;
            case 'continuation': {
              const { checkpoint, delayMs, heapUsedBytes } = message;
              if (ending?.status === 'cancelled')
                finish({ outcome: { ...ending, checkpoint }, reusable: false });
              else if (ending !== undefined) finish({ outcome: ending, reusable: false });
              else {
                finish({
                  outcome: { status: 'continued', checkpoint, delayMs, message: message.message },
                  reusable: true,
                  heapUsedBytes,
                });
              }
              return;
            }
            case 'failure': {
              const { reason, retryable, code, fatal } = message;
              if (ending !== undefined) finish({ outcome: ending, reusable: false });
              else finish({ outcome: { status: 'failed', reason, retryable, code }, reusable: !fatal });
              return;
            }
            case 'probe-result':
              finish(protocolFailure('task process answered a probe nobody sent'));
              return;
          }
        },
        protocolError: (problem) => finish(protocolFailure(problem)),
        // Told through the listener, which `finish` detaches: the process outlives this run.
        exited: (exit) =>
          finish({
            outcome: ending ?? outcomeOfExit(exit, proc.stderrTail(), options.memoryLimitMb),
            reusable: false,
          }),
        logLine: (line) => options.onLogLine?.(line),
      },
      options.logger,
    );

    proc.tasksStarted += 1;
    proc.send(start);
    if (options.signal?.aborted === true) onAbort();
  });
}

function protocolFailure(reason: string): ProcessRunResult {
  return {
    outcome: { status: 'failed', code: TASK_FAILURE_CODES.RUNNER_ERROR, retryable: true, reason },
    reusable: false,
  };
}

type StopKind = CancelMessage['kind'];

function abortReasonText(reason: unknown): string {
  if (taskAbortKind(reason) !== undefined && reason instanceof Error) return reason.message;
  if (reason instanceof Error && reason.message !== '' && reason.name !== 'AbortError') return reason.message;
  if (typeof reason === 'string' && reason !== '') return reason;
  return 'cancelled';
}

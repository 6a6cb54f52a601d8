import type { EventEmitter } from 'node:events';
import { MessageValidationError, WlmError, messageOf } from '@wlm/commons/errors';
import type { Delivery } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { LineTail } from '@wlm/commons/text';
import type { TaskAssignment, TaskEvent } from '@wlm/commons/wire';
import { TASK_FAILURE_CODES } from '../execution';
import type { LoadedPlugin, TaskOutcome, TaskOutputs, TaskRunRequest } from '../execution';
import { ProgressRelay } from './progress-relay';
import type { RecentSet } from '@wlm/commons/collections';
import type { RecentCancels } from '@wlm/commons/control';
import type { RunningTask, RunningTasks } from './running-tasks';
import { RunningReport } from './running-report';
import {
  cancelledEvent,
  completedEvent,
  deferredEvent,
  failedEvent,
  progressEvent,
  runningEvent,
} from './task-events';
import type { WorkerEvents, WorkerTaskInfo } from './worker-events';

/** Publishes one TaskEvent to the events exchange; resolves on the broker's confirm. */
export type TaskEventPublisher = (event: TaskEvent, messageId?: string) => Promise<void>;

/** Runs one task in a task process and says how it ended; never rejects (`IsolatedTaskRunner`). */
export interface TaskRunner {
  run(request: TaskRunRequest, signal?: AbortSignal): Promise<TaskOutcome>;
}

export interface AssignmentHandlerOptions {
  workerId: string;
  /** Loaded plugins by task type. */
  plugins: ReadonlyMap<string, LoadedPlugin>;
  runner: TaskRunner;
  publish: TaskEventPublisher;
  cancels: Pick<RecentCancels, 'find'>;
  /** Assignments whose terminal event the broker confirmed. */
  finished: RecentSet<string>;
  running: RunningTasks;
  progressIntervalMs: number;
  /** How long RUNNING is held back, so that a run ending sooner sends one event (`RunningReport`). */
  runningReportDelayMs: number;
  events: EventEmitter<WorkerEvents>;
  logger: Logger;
  /** Called whenever the number of running tasks changes. */
  onLoadChange: () => void;
}

/**
 * Handles one TaskAssignment from the worker's queue: RUNNING (held back briefly, so that a short
 * run reports its start on its terminal event instead), the run in a task process with its
 * progress relayed, then exactly one terminal event. The queue consumer acks the delivery when this
 * resolves — so only after the terminal event is confirmed — and requeues it when this throws a
 * retryable error, which is how unfinished work is handed back at shutdown.
 */
export class AssignmentHandler {
  private acceptingWork = false;

  constructor(private readonly options: AssignmentHandlerOptions) {}

  /** Whether new deliveries are run; when not, they are handed back to the queue. */
  get accepting(): boolean {
    return this.acceptingWork;
  }

  startAccepting(): void {
    this.acceptingWork = true;
  }

  stopAccepting(): void {
    this.acceptingWork = false;
  }

  /** The consumer's message handler. */
  readonly handle = async (assignment: TaskAssignment, delivery: Delivery): Promise<void> => {
    const info = taskInfo(assignment);
    const log = this.options.logger.child({ ...info, redelivered: delivery.redelivered });
    if (!this.acceptingWork) throw this.handBack(info, log);
    const { assignmentId } = assignment;
    if (this.options.finished.has(assignmentId)) {
      log.info('assignment already finished (redelivered); acked without running it again');
      this.options.events.emit('task:duplicate', info);
      return;
    }
    const inProgress = this.options.running.get(assignmentId);
    if (inProgress !== undefined) {
      // The broker redelivered it while we still run it (our channel was lost, or the consumer
      // timeout expired): settle this copy the way the run ends rather than run it twice.
      log.info('assignment redelivered while it runs; waiting for that run');
      if ((await inProgress.settled) === 'finished') {
        this.options.events.emit('task:duplicate', info);
        return;
      }
      throw this.handBack(info, log);
    }
    if (assignment.workerId !== this.options.workerId) {
      log.warn(
        { addressedTo: assignment.workerId },
        'assignment addressed to another worker; running it here',
      );
    }
    const cancel = this.options.cancels.find(assignment);
    const plugin = this.options.plugins.get(assignment.taskType);
    if (cancel !== undefined) {
      const reason = cancel.reason ?? 'cancelled before it started';
      if (assignment.continuation !== undefined && plugin !== undefined) {
        await this.releaseCheckpoint(assignment, plugin, assignment.continuation.checkpoint, log);
      }
      await this.finish(assignment, cancelledEvent(assignment, this.options.workerId, reason), log);
      log.info({ reason }, 'assignment of a cancelled task acked without running');
      this.options.events.emit('task:cancelled', info, reason);
      return;
    }
    if (plugin === undefined) {
      const failure = {
        reason: `worker ${this.options.workerId} has no plugin for task type "${assignment.taskType}"`,
        retryable: true,
        errorCode: TASK_FAILURE_CODES.TYPE_NOT_SERVED,
      };
      await this.finish(assignment, failedEvent(assignment, this.options.workerId, failure), log);
      log.warn('assignment of a task type this worker does not serve; failed as retryable');
      this.options.events.emit('task:failed', info, failure);
      return;
    }
    await this.run(assignment, plugin, info, log);
  };

  private async run(
    assignment: TaskAssignment,
    plugin: LoadedPlugin,
    info: WorkerTaskInfo,
    log: Logger,
  ): Promise<void> {
    const { workerId } = this.options;
    const task = this.options.running.add(assignment);
    this.options.onLoadChange();
    let settlement: 'finished' | 'handed-back' = 'handed-back';
    // Not awaited: confirms are pipelined, and the channel keeps RUNNING ahead of the terminal event.
    const report = new RunningReport(this.options.runningReportDelayMs, (startedAt) =>
      this.publishQuietly(
        runningEvent(assignment, workerId, startedAt),
        log,
        `${assignment.assignmentId}:running`,
      ),
    );
    try {
      this.options.events.emit('task:started', info);
      log.info('task started');
      const outcome = await this.execute(assignment, plugin, task, report, log);
      // A run handed back says nothing: the worker that runs it next reports its own start.
      const startedAt = report.settle();
      if (isHandBack(task, outcome)) throw this.handBack(info, log);
      await this.finishWith(assignment, plugin, outcome, { info, log, logs: task.logs, startedAt });
      settlement = 'finished';
    } finally {
      report.settle();
      this.options.running.end(assignment.assignmentId, settlement);
      this.options.onLoadChange();
    }
  }

  /**
   * A task cancelled between two rounds: its plugin's `cancel` releases what the checkpoint holds
   * (a batch job). Best effort — the task is cancelled either way, and a failure is logged.
   */
  private async releaseCheckpoint(
    assignment: TaskAssignment,
    plugin: LoadedPlugin,
    checkpoint: TaskOutputs,
    log: Logger,
  ): Promise<void> {
    const outcome = await this.options.runner.run({
      ...this.runRequest(assignment, plugin),
      checkpoint,
      purpose: 'cancel',
    });
    if (outcome.status === 'failed') {
      log.warn(
        { errorCode: outcome.code, reason: outcome.reason },
        'the plugin could not release its checkpoint',
      );
    } else {
      log.info('the plugin released its checkpoint');
    }
  }

  private runRequest(assignment: TaskAssignment, plugin: LoadedPlugin): TaskRunRequest {
    return {
      plugin,
      experimentId: assignment.experimentId,
      taskId: assignment.taskId,
      attempt: assignment.attempt,
      run: assignment.run,
      params: assignment.context,
      ...(assignment.continuation === undefined ? {} : { checkpoint: assignment.continuation.checkpoint }),
      ...(assignment.timeoutMs === undefined ? {} : { timeoutMs: assignment.timeoutMs }),
    };
  }

  private async execute(
    assignment: TaskAssignment,
    plugin: LoadedPlugin,
    task: RunningTask,
    report: RunningReport,
    log: Logger,
  ): Promise<TaskOutcome> {
    const relay = new ProgressRelay(this.options.progressIntervalMs, (progress) => {
      report.sendNow();
      this.publishQuietly(
        withLogTail(progressEvent(assignment, this.options.workerId, progress), task.logs),
        log,
      );
    });
    try {
      return await this.options.runner.run(
        {
          ...this.runRequest(assignment, plugin),
          onProgress: (progress) => relay.report(progress),
          onLogLine: (line) => task.logs.push(line),
        },
        task.signal,
      );
    } finally {
      relay.close();
    }
  }

  private async finishWith(
    assignment: TaskAssignment,
    plugin: LoadedPlugin,
    outcome: TaskOutcome,
    { info, log, logs, startedAt }: FinishContext,
  ): Promise<void> {
    const { workerId, events } = this.options;
    const finish = (event: TaskEvent): Promise<void> =>
      this.finish(assignment, withStart(withLogTail(event, logs), startedAt), log);
    switch (outcome.status) {
      case 'completed':
        try {
          await finish(completedEvent(assignment, workerId, outcome.outputs));
        } catch (error) {
          // Outputs the wire refuses can never be published; fail the task rather than retry forever.
          if (!(error instanceof MessageValidationError)) throw error;
          const failure = {
            reason: `the outputs cannot be sent: ${error.message}`,
            retryable: false,
            errorCode: TASK_FAILURE_CODES.OUTPUT_INVALID,
          };
          await finish(failedEvent(assignment, workerId, failure));
          events.emit('task:failed', info, failure);
          return;
        }
        log.info('task completed');
        events.emit('task:completed', info);
        return;
      case 'continued':
        await finish(deferredEvent(assignment, workerId, outcome));
        log.info(
          { delayMs: outcome.delayMs, message: outcome.message },
          'round ended; the task goes on later',
        );
        events.emit('task:deferred', info, outcome.message);
        return;
      case 'failed': {
        const failure = { reason: outcome.reason, retryable: outcome.retryable, errorCode: outcome.code };
        await finish(failedEvent(assignment, workerId, failure));
        log.info(
          { errorCode: outcome.code, retryable: outcome.retryable, reason: outcome.reason },
          'task failed',
        );
        events.emit('task:failed', info, failure);
        return;
      }
      case 'cancelled':
        // The round ended with a checkpoint just as the cancel came: release what it holds.
        if (outcome.checkpoint !== undefined) {
          await this.releaseCheckpoint(assignment, plugin, outcome.checkpoint, log);
        }
        await finish(cancelledEvent(assignment, workerId, outcome.reason));
        log.info({ reason: outcome.reason }, 'task cancelled');
        events.emit('task:cancelled', info, outcome.reason);
        return;
    }
  }

  /**
   * Publishes the terminal event and waits for its confirm, then remembers the assignment as done.
   * A publish that fails becomes a retryable error: the delivery is requeued, never acked unreported.
   */
  private async finish(assignment: TaskAssignment, event: TaskEvent, log: Logger): Promise<void> {
    try {
      await this.options.publish(event, `${assignment.assignmentId}:${event.state.toLowerCase()}`);
    } catch (error) {
      if (error instanceof MessageValidationError) throw error;
      log.error({ err: error, state: event.state }, 'terminal event not confirmed; the assignment goes back');
      throw new WlmError(
        'AMQP_PUBLISH_FAILED',
        `the ${event.state} event of assignment ${assignment.assignmentId} was not confirmed: ${messageOf(error)}`,
        { cause: error, retryable: true },
      );
    }
    this.options.finished.add(assignment.assignmentId);
  }

  private publishQuietly(event: TaskEvent, log: Logger, messageId?: string): void {
    this.options.publish(event, messageId).catch((error: unknown) => {
      log.warn({ err: error, state: event.state }, 'task event not published');
    });
  }

  /** The error that makes the consumer requeue the delivery: the assignment is not lost. */
  private handBack(info: WorkerTaskInfo, log: Logger): WlmError {
    log.info('assignment handed back to the queue');
    this.options.events.emit('task:handed-back', info);
    return new WlmError(
      'SHUTTING_DOWN',
      `worker ${this.options.workerId} is shutting down; assignment requeued`,
      {
        retryable: true,
      },
    );
  }
}

/** A run stopped for shutdown (or killed by the runner closing) is handed back rather than reported. */
function isHandBack(task: RunningTask, outcome: TaskOutcome): boolean {
  if (outcome.status === 'completed' || outcome.status === 'continued') return false;
  if (task.stopReason?.kind === 'shutdown') return true;
  return outcome.status === 'failed' && outcome.code === 'SHUTTING_DOWN';
}

function taskInfo(assignment: TaskAssignment): WorkerTaskInfo {
  return {
    assignmentId: assignment.assignmentId,
    experimentId: assignment.experimentId,
    taskId: assignment.taskId,
    attempt: assignment.attempt,
    taskType: assignment.taskType,
    requestedAt: assignment.requestedAt,
  };
}

/** The event with the task's log so far, when it logged anything. */
function withLogTail<E extends TaskEvent>(event: E, logs: LineTail): E {
  const text = logs.toString();
  return text === '' ? event : { ...event, logTail: text };
}

/** A terminal event carries the run's start when no RUNNING said it (`RunningReport.settle`). */
function withStart<E extends TaskEvent>(event: E, startedAt: string | undefined): E {
  return startedAt === undefined ? event : { ...event, startedAt };
}

interface FinishContext {
  info: WorkerTaskInfo;
  log: Logger;
  logs: LineTail;
  /** Set when no RUNNING went out for the run. */
  startedAt: string | undefined;
}

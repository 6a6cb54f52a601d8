import { attemptIdentityOf, runStartOf } from '@wlm/commons/wire';
import type { TaskEvent, TaskEventOf } from '@wlm/commons/wire';
import type { TaskCompletion, TaskStateChange } from '../domain/dag-store';
import { isJsonObject } from '../domain/json';
import type { JsonObject } from '../domain/json';
import type { AuditEventInput, TaskRunUpdate } from '../domain/state-store';
import type { TaskReportUpdate } from '../domain/task-report';

/**
 * A task event the stores record: every state but PROGRESS, DEFERRED and WAITING, which change
 * nothing stored — a deferred task stays RUNNING while its next round waits, a waiting one QUEUED.
 */
export type RecordedEvent = Exclude<TaskEvent, { state: 'PROGRESS' | 'DEFERRED' | 'WAITING' }>;

/** An event that says what a task waits for: audited as `task.waiting`, changing no state. */
export type WaitEvent = TaskEventOf<'DEFERRED' | 'WAITING'>;

export function isRecorded(event: TaskEvent): event is RecordedEvent {
  return event.state !== 'PROGRESS' && event.state !== 'DEFERRED' && event.state !== 'WAITING';
}

/** A final failure: the scheduler will not retry it, so its experiment fails. */
export function isFinalFailure(event: TaskEvent): event is TaskEventOf<'FAILED'> {
  return event.state === 'FAILED' && !event.retryable;
}

/** Outputs are any JSON on the wire, an object in the stores: anything else is kept under `value`. */
export function outputsOf(event: TaskEventOf<'COMPLETED'>): JsonObject {
  return isJsonObject(event.outputs) ? event.outputs : { value: event.outputs };
}

/** The task-run row the event updates (forward only, idempotent: `recordTaskRuns`). */
export function taskRunUpdate(event: RecordedEvent, run: number): TaskRunUpdate {
  const at = new Date(event.at);
  const update: TaskRunUpdate = {
    experimentId: event.experimentId,
    run,
    taskId: event.taskId,
    attempt: event.attempt,
    state: event.state,
  };
  if (event.workerId !== undefined) update.workerId = event.workerId;
  const startedAt = runStartOf(event);
  if (startedAt !== undefined) update.startedAt = new Date(startedAt);
  switch (event.state) {
    case 'COMPLETED':
      update.outputs = outputsOf(event);
      update.endedAt = at;
      break;
    case 'FAILED':
      update.reason = event.errorCode === undefined ? event.reason : `${event.errorCode}: ${event.reason}`;
      update.endedAt = at;
      break;
    case 'CANCELLED':
      if (event.reason !== undefined) update.reason = event.reason;
      update.endedAt = at;
      break;
    case 'QUEUED':
    case 'RUNNING':
      break;
  }
  return update;
}

/**
 * The audit entries of the event: the transition it reports, preceded by the run's start when the
 * event also says that (a run too short to send RUNNING), so the trail reads the same either way.
 */
export function taskAuditEvents(event: RecordedEvent, run: number): AuditEventInput[] {
  const audit = taskAuditEvent(event, run);
  const startedAt = runStartOf(event);
  if (event.state === 'RUNNING' || startedAt === undefined || event.workerId === undefined) return [audit];
  const started = taskAuditEvent(
    { ...attemptIdentityOf(event), v: 1, state: 'RUNNING', workerId: event.workerId, at: startedAt },
    run,
  );
  return [started, audit];
}

/**
 * The audit entry of the event. Its dedupe key is the fact it reports, so a redelivered event adds
 * nothing, and a start told by a terminal event has the key a RUNNING would have had; a final
 * failure gets its own key because it may follow a retryable failure of the same attempt (the
 * scheduler's verdict after the worker's report).
 */
function taskAuditEvent(event: RecordedEvent, run: number): AuditEventInput {
  const final = isFinalFailure(event);
  const details: JsonObject = { run, attempt: event.attempt };
  if (event.workerId !== undefined) details['workerId'] = event.workerId;
  if (event.state === 'FAILED') {
    details['retryable'] = event.retryable;
    if (event.errorCode !== undefined) details['errorCode'] = event.errorCode;
  }
  const audit: AuditEventInput = {
    experimentId: event.experimentId,
    taskId: event.taskId,
    type: 'task.transitioned',
    toState: event.state,
    actor:
      event.state === 'QUEUED' || event.workerId === undefined ? 'scheduler' : `worker:${event.workerId}`,
    details,
    at: new Date(event.at),
    dedupeKey: `task:${event.experimentId}:${run}:${event.taskId}:${event.attempt}:${event.state}${final ? ':final' : ''}`,
  };
  if ((event.state === 'FAILED' || event.state === 'CANCELLED') && event.reason !== undefined) {
    audit.reason = event.reason;
  }
  return audit;
}

/**
 * The audit entry of a DEFERRED or WAITING event: what the task waits for (`SLURM job 42: PENDING
 * (Priority)`, once per round; `waiting for a worker that runs gpu-sim`, once per attempt). The
 * task's state does not change; this is how its wait shows.
 */
export function taskWaitingAudit(event: WaitEvent, run: number): AuditEventInput {
  if (event.state === 'WAITING') {
    return {
      experimentId: event.experimentId,
      taskId: event.taskId,
      type: 'task.waiting',
      actor: 'scheduler',
      reason: event.message,
      details: { run, attempt: event.attempt, taskType: event.taskType, waitsFor: 'worker' },
      at: new Date(event.at),
      dedupeKey: `task:${event.experimentId}:${run}:${event.taskId}:${event.attempt}:WAITING`,
    };
  }
  const round = event.request.continuation?.round ?? 2;
  const details: JsonObject = { run, attempt: event.attempt, nextRound: round, workerId: event.workerId };
  if (event.request.notBefore !== undefined) details['notBefore'] = event.request.notBefore;
  return {
    experimentId: event.experimentId,
    taskId: event.taskId,
    type: 'task.waiting',
    actor: `worker:${event.workerId}`,
    reason: event.message,
    details,
    at: new Date(event.at),
    dedupeKey: `task:${event.experimentId}:${run}:${event.taskId}:${event.attempt}:DEFERRED:${round}`,
  };
}

export function taskCompletion(event: TaskEventOf<'COMPLETED'>, run: number): TaskCompletion {
  return {
    experimentId: event.experimentId,
    run,
    taskId: event.taskId,
    attempt: event.attempt,
    outputs: outputsOf(event),
  };
}

export function taskStateChange(
  event: Exclude<RecordedEvent, { state: 'COMPLETED' }>,
  run: number,
): TaskStateChange {
  return {
    experimentId: event.experimentId,
    run,
    taskId: event.taskId,
    attempt: event.attempt,
    state: event.state,
  };
}

/**
 * What a worker's event says besides the state: a PROGRESS event its progress, any event that
 * carries one the attempt's log tail so far. Undefined when it says neither.
 */
export function taskReportOf(event: TaskEvent, run: number): TaskReportUpdate | undefined {
  const at = new Date(event.at);
  const report: TaskReportUpdate = {
    experimentId: event.experimentId,
    run,
    taskId: event.taskId,
    attempt: event.attempt,
  };
  if (event.state === 'PROGRESS') {
    report.progress = { message: event.message ?? null, percent: event.percent ?? null, at };
  }
  if ('logTail' in event && event.logTail !== undefined) report.logTail = { text: event.logTail, at };
  return report.progress === undefined && report.logTail === undefined ? undefined : report;
}

import { isExperimentState } from '../../domain/experiment-state';
import type { AuditEvent, Experiment, RunningExperiment, TaskRun } from '../../domain/records';
import { isTaskState } from '../../domain/task-state';
import { RowReader } from './row-reader';
import type { Row } from './sql';

/** Column lists matching the mappers below; selecting exactly these keeps both sides in step. */
export const EXPERIMENT_COLUMNS =
  'id, type, dag_version, state, priority, inputs, idempotency_key, run, failure_reason, ' +
  'created_at, started_at, ended_at, updated_at';
export const TASK_RUN_COLUMNS =
  'experiment_id, run, task_id, attempt, worker_id, state, reason, outputs, started_at, ended_at, updated_at';
export const AUDIT_EVENT_COLUMNS =
  'id, experiment_id, task_id, type, from_state, to_state, actor, reason, details, at';
export const RUNNING_COLUMNS = 'experiment_id, since';

export function toExperiment(row: Row): Experiment {
  const r = new RowReader('experiments', row);
  return {
    id: r.string('id'),
    type: r.string('type'),
    dagVersion: r.integer('dag_version'),
    state: r.oneOf('state', isExperimentState),
    priority: r.integer('priority'),
    inputs: r.jsonObject('inputs'),
    idempotencyKey: r.stringOrNull('idempotency_key'),
    run: r.integer('run'),
    failureReason: r.stringOrNull('failure_reason'),
    createdAt: r.date('created_at'),
    startedAt: r.dateOrNull('started_at'),
    endedAt: r.dateOrNull('ended_at'),
    updatedAt: r.date('updated_at'),
  };
}

export function toTaskRun(row: Row): TaskRun {
  const r = new RowReader('task_runs', row);
  return {
    experimentId: r.string('experiment_id'),
    run: r.integer('run'),
    taskId: r.string('task_id'),
    attempt: r.integer('attempt'),
    workerId: r.stringOrNull('worker_id'),
    state: r.oneOf('state', isTaskState),
    reason: r.stringOrNull('reason'),
    outputs: r.jsonObjectOrNull('outputs'),
    startedAt: r.dateOrNull('started_at'),
    endedAt: r.dateOrNull('ended_at'),
    updatedAt: r.date('updated_at'),
  };
}

export function toAuditEvent(row: Row): AuditEvent {
  const r = new RowReader('audit_events', row);
  return {
    id: r.integer('id'),
    experimentId: r.string('experiment_id'),
    taskId: r.stringOrNull('task_id'),
    type: r.string('type'),
    fromState: r.stringOrNull('from_state'),
    toState: r.stringOrNull('to_state'),
    actor: r.string('actor'),
    reason: r.stringOrNull('reason'),
    details: r.jsonObjectOrNull('details'),
    at: r.date('at'),
  };
}

export function toRunningExperiment(row: Row): RunningExperiment {
  const r = new RowReader('running_experiments', row);
  return { experimentId: r.string('experiment_id'), since: r.date('since') };
}

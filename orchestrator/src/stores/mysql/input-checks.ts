import { MAX_JSON_DEPTH, formatIssuePath, isJsonObjectShape, jsonProblems } from '@wlm/commons/wire';
import { canTransitionExperiment, isExperimentState } from '../../domain/experiment-state';
import type { ExperimentState } from '../../domain/experiment-state';
import { AUDIT_EVENT_TYPES } from '../../domain/records';
import type {
  AuditEventInput,
  ChangeAttribution,
  NewExperiment,
  TaskRunUpdate,
} from '../../domain/state-store';
import { isTaskState } from '../../domain/task-state';
import { StoreInputError } from '../../errors/store-input-error';

/**
 * Checks done before any SQL runs, so a bad value fails with a message naming the field instead of a
 * strict-mode error from the server — and a batch is rejected whole before it is half-written.
 * Limits mirror the column sizes of migration 0001 (VARCHAR lengths count characters, and a JS
 * string's length is never less than its character count, so the check is conservative).
 */
export const LIMITS = {
  experimentId: 64,
  type: 128,
  taskId: 128,
  workerId: 255,
  actor: 128,
  idempotencyKey: 255,
  dedupeKey: 255,
  state: 16,
} as const;

export function checkText(field: string, value: string, max: number): void {
  if (value.length === 0 || value.length > max) {
    throw new StoreInputError(field, `must be 1–${max} characters long, got ${value.length}`);
  }
}

function checkOptionalText(field: string, value: string | undefined, max: number): void {
  if (value !== undefined) checkText(field, value, max);
}

export function checkInteger(field: string, value: number, min: number, max = 2 ** 32 - 1): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new StoreInputError(field, `must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function checkJsonObject(field: string, value: unknown): void {
  if (!isJsonObjectShape(value)) throw new StoreInputError(field, 'must be a plain JSON object');
  // The wire's depth limit is MariaDB's (a JSON column refuses 32 levels or more): checked here too
  // because experiment inputs reach the store from the API, not from the wire.
  const [problem] = jsonProblems(value, { maxDepth: MAX_JSON_DEPTH, maxProblems: 1 });
  if (problem !== undefined) {
    // The field stays the argument's (an API answer names it); the path inside goes in the message.
    throw new StoreInputError(field, `at ${formatIssuePath(problem.path)}: ${problem.message}`);
  }
}

function checkDate(field: string, value: Date | undefined): void {
  if (value !== undefined && Number.isNaN(value.getTime()))
    throw new StoreInputError(field, 'is not a valid date');
}

export function checkNewExperiment(input: NewExperiment): void {
  checkOptionalText('id', input.id, LIMITS.experimentId);
  checkText('type', input.type, LIMITS.type);
  checkInteger('dagVersion', input.dagVersion, 0);
  checkInteger('priority', input.priority, 0, 255);
  checkJsonObject('inputs', input.inputs);
  checkOptionalText('idempotencyKey', input.idempotencyKey, LIMITS.idempotencyKey);
  checkText('actor', input.actor, LIMITS.actor);
}

export function checkExperimentStates(field: string, states: readonly ExperimentState[]): void {
  if (states.length === 0) throw new StoreInputError(field, 'must name at least one state');
  for (const state of states) {
    if (!isExperimentState(state))
      throw new StoreInputError(field, `unknown experiment state ${String(state)}`);
  }
}

export function checkTaskRunUpdate(field: string, update: TaskRunUpdate): void {
  checkText(`${field}.experimentId`, update.experimentId, LIMITS.experimentId);
  checkInteger(`${field}.run`, update.run, 1);
  checkText(`${field}.taskId`, update.taskId, LIMITS.taskId);
  checkInteger(`${field}.attempt`, update.attempt, 1);
  if (!isTaskState(update.state))
    throw new StoreInputError(`${field}.state`, `unknown task state ${update.state}`);
  checkOptionalText(`${field}.workerId`, update.workerId, LIMITS.workerId);
  if (update.outputs !== undefined) checkJsonObject(`${field}.outputs`, update.outputs);
  checkDate(`${field}.startedAt`, update.startedAt);
  checkDate(`${field}.endedAt`, update.endedAt);
}

export function checkAuditEvent(field: string, event: AuditEventInput): void {
  checkText(`${field}.experimentId`, event.experimentId, LIMITS.experimentId);
  checkOptionalText(`${field}.taskId`, event.taskId, LIMITS.taskId);
  if (!(AUDIT_EVENT_TYPES as readonly string[]).includes(event.type)) {
    throw new StoreInputError(`${field}.type`, `unknown audit event type ${event.type}`);
  }
  checkOptionalText(`${field}.fromState`, event.fromState, LIMITS.state);
  checkOptionalText(`${field}.toState`, event.toState, LIMITS.state);
  checkText(`${field}.actor`, event.actor, LIMITS.actor);
  if (event.details !== undefined) checkJsonObject(`${field}.details`, event.details);
  checkDate(`${field}.at`, event.at);
  checkOptionalText(`${field}.dedupeKey`, event.dedupeKey, LIMITS.dedupeKey);
}

/** A page size within 1–1000, or the default. */
export function pageLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  checkInteger('limit', limit, 1, 1000);
  return limit;
}

/** `from` → `to` must be edges of the experiment state machine, by a named actor. */
export function checkTransition(
  from: readonly ExperimentState[],
  to: ExperimentState,
  change: ChangeAttribution,
): void {
  checkExperimentStates('from', from);
  checkExperimentStates('to', [to]);
  checkText('actor', change.actor, LIMITS.actor);
  for (const state of from) {
    if (!canTransitionExperiment(state, to)) {
      throw new StoreInputError('to', `${state} → ${to} is not a transition of the experiment state machine`);
    }
  }
}

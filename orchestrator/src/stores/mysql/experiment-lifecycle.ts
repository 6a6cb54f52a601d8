import { isDeepStrictEqual } from 'node:util';
import { TERMINAL_EXPERIMENT_STATES, isActiveExperimentState } from '../../domain/experiment-state';
import type { ExperimentState } from '../../domain/experiment-state';
import type { Experiment } from '../../domain/records';
import type {
  AuditEventInput,
  ChangeAttribution,
  CreateExperimentResult,
  CreateOutcome,
  RerunRequest,
  TransitionResult,
} from '../../domain/state-store';
import { ExperimentConflictError } from '../../errors/experiment-conflict-error';
import { StoreDataError } from '../../errors/store-data-error';
import { insertAuditEvents } from './audit-queries';
import {
  insertExperiment,
  insertExperimentsSkippingDuplicates,
  selectExperiment,
  selectExperimentsIn,
  updateExperimentRerun,
  updateExperimentState,
} from './experiment-queries';
import type { ExperimentRow } from './experiment-queries';
import { deleteRunningMany, insertRunning, insertRunningMany } from './registry-queries';
import { isDuplicateKeyError } from './sql';
import type { Queryable } from './sql';

/*
 * The multi-statement changes of an experiment's life. Each function expects to run inside one
 * transaction (the store provides it) and keeps three things in step: the experiment row, its running
 * registry entry (present exactly while the state is active) and its audit trail.
 */

/** Inserts a PENDING experiment with its registry entry and audit event, or finds the same request's. */
export async function createExperiment(
  db: Queryable,
  row: ExperimentRow,
  actor: string,
): Promise<CreateExperimentResult> {
  try {
    await insertExperiment(db, row);
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    return { experiment: await sameRequest(db, row, error), created: false };
  }
  await insertRunning(db, row.id);
  await insertAuditEvents(db, [createdAudit(row, actor)]);
  return { experiment: await mustSelect(db, row.id), created: true };
}

/**
 * {@link createExperiment} for many rows in a handful of statements: one multi-row INSERT that skips
 * rows whose id or key exists, one read back by id (a row found under its own id is new — or ours
 * from a retried transaction whose first commit went unacknowledged), one locking read by key for
 * the others, then the registry entries and audit events of the new rows. A key already used for a
 * different request fails that row alone; two rows of one call with the same key are one request
 * and its repetition, or a conflict.
 */
export async function createExperiments(
  db: Queryable,
  rows: readonly { row: ExperimentRow; actor: string }[],
): Promise<CreateOutcome[]> {
  await insertExperimentsSkippingDuplicates(
    db,
    rows.map(({ row }) => row),
  );
  const byId = await selectExperimentsIn(
    db,
    'id',
    rows.map(({ row }) => row.id),
  );
  const keysOfOthers = rows.flatMap(({ row }) =>
    byId.has(row.id) || row.idempotencyKey === null ? [] : [row.idempotencyKey],
  );
  const byKey =
    keysOfOthers.length === 0
      ? new Map<string, Experiment>()
      : await selectExperimentsIn(db, 'idempotency_key', keysOfOthers, 'share');
  const created = rows.filter(({ row }) => byId.has(row.id));
  await insertRunningMany(
    db,
    created.map(({ row }) => row.id),
  );
  await insertAuditEvents(
    db,
    created.map(({ row, actor }) => createdAudit(row, actor)),
  );
  return rows.map(({ row }): CreateOutcome => {
    const own = byId.get(row.id);
    if (own !== undefined) return { ok: true, result: { experiment: own, created: true } };
    const existing = row.idempotencyKey === null ? undefined : byKey.get(row.idempotencyKey);
    if (existing === undefined) {
      return {
        ok: false,
        error: new StoreDataError('experiments', 'id', `${row.id} was neither inserted nor found`),
      };
    }
    if (!isSameRequest(existing, row)) {
      return { ok: false, error: new ExperimentConflictError(existing.id, row.idempotencyKey) };
    }
    return { ok: true, result: { experiment: existing, created: false } };
  });
}

function createdAudit(row: ExperimentRow, actor: string): AuditEventInput {
  return {
    experimentId: row.id,
    type: 'experiment.created',
    toState: 'PENDING',
    actor,
    details: { type: row.type, dagVersion: row.dagVersion, priority: row.priority },
    dedupeKey: `experiment:${row.id}:created`,
  };
}

/**
 * Moves the experiment to `to` if it is in one of `from`. The row is locked first (rather than a
 * blind `UPDATE … WHERE state IN`) so that the audit event records the actual previous state when
 * `from` lists several; the UPDATE is still a compare-and-set on that state.
 */
export async function transitionExperiment(
  db: Queryable,
  id: string,
  from: readonly ExperimentState[],
  to: ExperimentState,
  change: ChangeAttribution,
): Promise<TransitionResult> {
  const results = await transitionExperiments(db, [id], from, to, change);
  return results.get(id) ?? { changed: false, experiment: undefined };
}

/**
 * {@link transitionExperiment} for many experiments in the same few statements: one locking read,
 * one UPDATE per previous state, one registry change, one audit insert, one read back. The rows are
 * locked in key order whatever the order of `ids`, so two such calls cannot deadlock each other.
 */
export async function transitionExperiments(
  db: Queryable,
  ids: readonly string[],
  from: readonly ExperimentState[],
  to: ExperimentState,
  change: ChangeAttribution,
): Promise<Map<string, TransitionResult>> {
  const current = await selectExperimentsIn(db, 'id', ids, 'update');
  const moving = [...current.values()].filter((experiment) => from.includes(experiment.state));
  for (const state of new Set(moving.map((experiment) => experiment.state))) {
    const group = moving
      .filter((experiment) => experiment.state === state)
      .map((experiment) => experiment.id);
    if ((await updateExperimentState(db, group, state, to, change.reason ?? null)) !== group.length) {
      throw new StoreDataError('experiments', 'state', `${group.join(', ')} changed under a row lock`);
    }
  }
  const movingIds = moving.map((experiment) => experiment.id);
  await (isActiveExperimentState(to) ? insertRunningMany : deleteRunningMany)(db, movingIds);
  await insertAuditEvents(
    db,
    moving.map((experiment) => ({
      experimentId: experiment.id,
      type: 'experiment.transitioned' as const,
      fromState: experiment.state,
      toState: to,
      actor: change.actor,
      reason: change.reason,
      details: change.details,
    })),
  );
  const after =
    moving.length === 0 ? new Map<string, Experiment>() : await selectExperimentsIn(db, 'id', movingIds);
  const results = new Map<string, TransitionResult>();
  for (const id of ids) {
    const moved = after.get(id);
    results.set(
      id,
      moved === undefined
        ? { changed: false, experiment: current.get(id) }
        : { changed: true, experiment: moved },
    );
  }
  return results;
}

/** Starts run + 1 of a finished experiment (only from `expectedRun` when given). */
export async function rerunExperiment(
  db: Queryable,
  id: string,
  request: RerunRequest,
): Promise<TransitionResult> {
  const current = await selectExperiment(db, { id }, 'update');
  if (
    current === undefined ||
    !TERMINAL_EXPERIMENT_STATES.includes(current.state) ||
    (request.expectedRun !== undefined && current.run !== request.expectedRun)
  ) {
    return { changed: false, experiment: current };
  }
  const run = current.run + 1;
  if (!(await updateExperimentRerun(db, id, current.run))) {
    throw new StoreDataError('experiments', 'run', `${id} changed under a row lock`);
  }
  await insertRunning(db, id);
  await insertAuditEvents(db, [
    {
      experimentId: id,
      type: 'experiment.rerun',
      fromState: current.state,
      toState: 'PENDING',
      actor: request.actor,
      reason: request.reason,
      details: { ...request.details, run },
      dedupeKey: `experiment:${id}:run:${run}`,
    },
  ]);
  return { changed: true, experiment: await mustSelect(db, id) };
}

async function mustSelect(db: Queryable, id: string): Promise<Experiment> {
  const experiment = await selectExperiment(db, { id });
  if (experiment === undefined)
    throw new StoreDataError('experiments', 'id', `${id} vanished inside its transaction`);
  return experiment;
}

/**
 * After a duplicate-key error: the experiment holding the key (or id), provided the same request
 * created it. This also covers a retried transaction whose first attempt committed but whose
 * acknowledgement was lost — that caller then sees `created: false` for its own experiment.
 */
async function sameRequest(db: Queryable, row: ExperimentRow, duplicate: unknown): Promise<Experiment> {
  const byKey =
    row.idempotencyKey === null
      ? undefined
      : await selectExperiment(db, { idempotencyKey: row.idempotencyKey }, 'share');
  const existing = byKey ?? (await selectExperiment(db, { id: row.id }, 'share'));
  if (existing === undefined) throw duplicate;
  if (!isSameRequest(existing, row))
    throw new ExperimentConflictError(existing.id, byKey === undefined ? null : row.idempotencyKey);
  return existing;
}

function isSameRequest(existing: Experiment, row: ExperimentRow): boolean {
  return (
    existing.type === row.type &&
    existing.priority === row.priority &&
    existing.idempotencyKey === row.idempotencyKey &&
    isDeepStrictEqual(existing.inputs, row.inputs)
  );
}

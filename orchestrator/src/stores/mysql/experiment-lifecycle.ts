import { isDeepStrictEqual } from 'node:util';
import { TERMINAL_EXPERIMENT_STATES, isActiveExperimentState } from '../../domain/experiment-state';
import type { ExperimentState } from '../../domain/experiment-state';
import type { Experiment } from '../../domain/records';
import type {
  ChangeAttribution,
  CreateExperimentResult,
  RerunRequest,
  TransitionResult,
} from '../../domain/state-store';
import { ExperimentConflictError } from '../../errors/experiment-conflict-error';
import { StoreDataError } from '../../errors/store-data-error';
import { insertAuditEvents } from './audit-queries';
import {
  insertExperiment,
  selectExperiment,
  updateExperimentRerun,
  updateExperimentState,
} from './experiment-queries';
import type { ExperimentRow } from './experiment-queries';
import { deleteRunning, insertRunning } from './registry-queries';
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
  await insertAuditEvents(db, [
    {
      experimentId: row.id,
      type: 'experiment.created',
      toState: 'PENDING',
      actor,
      details: { type: row.type, dagVersion: row.dagVersion, priority: row.priority },
      dedupeKey: `experiment:${row.id}:created`,
    },
  ]);
  return { experiment: await mustSelect(db, row.id), created: true };
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
  const current = await selectExperiment(db, { id }, 'update');
  if (current === undefined || !from.includes(current.state)) return { changed: false, experiment: current };
  if (!(await updateExperimentState(db, id, current.state, to, change.reason ?? null))) {
    throw new StoreDataError('experiments', 'state', `${id} changed under a row lock`);
  }
  await (isActiveExperimentState(to) ? insertRunning(db, id) : deleteRunning(db, id));
  await insertAuditEvents(db, [
    {
      experimentId: id,
      type: 'experiment.transitioned',
      fromState: current.state,
      toState: to,
      actor: change.actor,
      reason: change.reason,
      details: change.details,
    },
  ]);
  return { changed: true, experiment: await mustSelect(db, id) };
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
  const same =
    existing.type === row.type &&
    existing.priority === row.priority &&
    existing.idempotencyKey === row.idempotencyKey &&
    isDeepStrictEqual(existing.inputs, row.inputs);
  if (!same) throw new ExperimentConflictError(existing.id, byKey === undefined ? null : row.idempotencyKey);
  return existing;
}

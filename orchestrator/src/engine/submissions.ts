import { inputShapeProblems } from '@wlm/commons/dag';
import type { Experiment } from '../domain/records';
import { ExperimentInputError } from '../errors/experiment-input-error';
import { ExperimentInputLimitError } from '../errors/experiment-input-limit-error';
import { ExperimentInputShapeError } from '../errors/experiment-input-shape-error';
import { ExperimentNotFoundError } from '../errors/experiment-not-found-error';
import type { BackgroundStarts } from './background-starts';
import { crashPoint } from './crash-point';
import type { ItemOutcome } from '@wlm/commons/batching';
import type { CatalogEntry } from './dag-catalog';
import type { EngineParts, ExperimentDriver } from './experiment-driver';
import { inputLimitProblems, missingInputs } from './required-inputs';
import type { SubmitRequest, SubmitResult } from './submit-request';
import { StepTimings } from './step-timings';

/** What submitting one experiment of many came to: its result, or why it was refused or failed. */
export type SubmitOutcome = ItemOutcome<SubmitResult>;

/**
 * Submits many experiments with a fixed number of store round trips, whatever their number: the
 * latest DAG of each type, one MySQL transaction creating them all (PENDING and registered: from
 * there on recovery owns them), then {@link ExperimentDriver.startMany} for those PENDING, and one
 * read of them all for the answers — except those submitted with `startInBackground`, answered as
 * stored and started by {@link BackgroundStarts}. Each request gets its own outcome: an invalid one, a key reused
 * differently or an experiment that cannot start never fails the others. A repeated idempotency key
 * returns the first experiment — and finishes starting it, should the first submission have died
 * half-way.
 */
export async function submitMany(
  parts: EngineParts,
  driver: ExperimentDriver,
  background: BackgroundStarts,
  requests: readonly SubmitRequest[],
): Promise<SubmitOutcome[]> {
  const steps = new StepTimings();
  const outcomes = new Array<SubmitOutcome | undefined>(requests.length);
  const fail = (index: number, error: unknown): void => {
    outcomes[index] = { ok: false, error };
  };
  const latest = new Map<string, Promise<CatalogEntry>>();
  const accepted: { index: number; request: SubmitRequest; entry: CatalogEntry }[] = [];
  for (const [index, request] of requests.entries()) {
    let entry = latest.get(request.type);
    if (entry === undefined) {
      entry = parts.catalog.latest(request.type);
      entry.catch(() => undefined);
      latest.set(request.type, entry);
    }
    try {
      const resolved = await entry;
      checkInputs(resolved, request);
      accepted.push({ index, request, entry: resolved });
    } catch (error) {
      fail(index, error);
    }
  }
  if (accepted.length === 0) return outcomes as SubmitOutcome[];

  steps.done('catalog');
  let creations;
  try {
    creations = await parts.states.createExperiments(
      accepted.map(({ request, entry }) => ({
        type: request.type,
        dagVersion: entry.dag.version,
        priority: request.priority,
        inputs: request.inputs,
        idempotencyKey: request.idempotencyKey,
        actor: request.actor,
      })),
    );
  } catch (error) {
    for (const { index } of accepted) fail(index, error);
    return outcomes as SubmitOutcome[];
  }
  crashPoint('after-mysql-create');

  const made: { index: number; experiment: Experiment; created: boolean }[] = [];
  accepted.forEach(({ index }, i) => {
    const creation = creations[i];
    if (creation?.ok !== true) return fail(index, creation?.error);
    const { experiment, created } = creation.result;
    made.push({ index, experiment, created });
    if (created)
      parts.logger.info(
        { experimentId: experiment.id, type: experiment.type, dagVersion: experiment.dagVersion },
        'experiment submitted',
      );
  });
  // A key repeated within the call names one experiment: it is started once, in the background
  // only when every submission naming it asked for that and the background queue has room.
  const toStart = new Map(
    made
      .filter(({ experiment }) => experiment.state === 'PENDING')
      .map(({ experiment }) => [experiment.id, experiment]),
  );
  const waitsForStart = new Set(
    made
      .filter(({ index }) => requests[index]?.startInBackground !== true)
      .map(({ experiment }) => experiment.id),
  );
  const inBackground = [...toStart.values()].filter((experiment) => !waitsForStart.has(experiment.id));
  const startedLater = background.hasRoomFor(inBackground.length) ? inBackground : [];
  const later = new Set(startedLater.map(({ id }) => id));
  steps.done('create');
  const startErrors = await driver.startMany([...toStart.values()].filter(({ id }) => !later.has(id)));
  steps.done('start');

  // Answered as stored: their start follows.
  for (const { index, experiment, created } of made) {
    if (later.has(experiment.id)) outcomes[index] = { ok: true, result: { experiment, created } };
  }
  for (const experiment of startedLater) background.add(experiment);
  const answered = made.filter(({ index, experiment }) => {
    if (later.has(experiment.id)) return false;
    if (!startErrors.has(experiment.id)) return true;
    fail(index, startErrors.get(experiment.id));
    return false;
  });
  if (answered.length === 0) return outcomes as SubmitOutcome[];
  let current: Map<string, Experiment>;
  try {
    current = await parts.states.getExperiments(answered.map(({ experiment }) => experiment.id));
  } catch (error) {
    for (const { index } of answered) fail(index, error);
    return outcomes as SubmitOutcome[];
  }
  steps.done('read');
  // The time of each step, to find where a submission waits (`--log-level debug`).
  parts.logger.debug(
    {
      experiments: requests.length,
      ...steps.ms,
    },
    'submission group handled',
  );
  for (const { index, experiment, created } of answered) {
    const now = current.get(experiment.id);
    outcomes[index] =
      now === undefined
        ? { ok: false, error: new ExperimentNotFoundError(experiment.id) }
        : { ok: true, result: { experiment: now, created } };
  }
  return outcomes as SubmitOutcome[];
}

/**
 * @throws ExperimentInputError when inputs the DAG uses are missing; ExperimentInputShapeError when
 *   an input does not fit its declared shape (or the default rule); ExperimentInputLimitError when
 *   they would render a task's params past a limit of the wire.
 */
function checkInputs(entry: CatalogEntry, request: SubmitRequest): void {
  const missing = missingInputs(entry.requiredInputs, request.inputs);
  if (missing.length > 0) throw new ExperimentInputError(request.type, missing);
  const misshapen = inputShapeProblems(entry.dag.definition.inputs, request.inputs);
  if (misshapen.length > 0) throw new ExperimentInputShapeError(request.type, misshapen);
  const beyondLimits = inputLimitProblems(entry.dag.definition, request.inputs);
  if (beyondLimits.length > 0) throw new ExperimentInputLimitError(request.type, beyondLimits);
}

import type { Logger } from '@wlm/commons/logging';
import type { Experiment } from '../domain/records';
import type { ExperimentDriver } from './experiment-driver';
import { GroupCommit } from '@wlm/commons/batching';
import type { ItemOutcome } from '@wlm/commons/batching';

export interface BackgroundStartsOptions {
  /** Experiments queued or being started at most; beyond it a submission starts its own (backpressure). */
  maxQueued: number;
  /** The most experiments one start group holds. */
  maxGroup: number;
}

/**
 * Starts experiments whose submitters were answered as soon as the experiment was stored
 * (`Prefer: respond-async`): from that write on the experiment is PENDING in the running registry,
 * which recovery owns, so an answer needs nothing more. Experiments accepted together start
 * together ({@link GroupCommit} over `ExperimentDriver.startMany`). A start that fails is logged
 * and left to the reconciler, which starts a PENDING experiment nobody started; so is one this
 * process never got to, should it die. {@link idle} lets a draining orchestrator finish them.
 */
export class BackgroundStarts {
  private readonly starts: GroupCommit<Experiment, void>;
  /** Each experiment's start, by id: one experiment submitted twice under its key starts once. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    driver: Pick<ExperimentDriver, 'startMany'>,
    private readonly logger: Logger,
    private readonly options: BackgroundStartsOptions,
  ) {
    this.starts = new GroupCommit(async (experiments) => startOutcomes(driver, experiments), {
      groupsInFlight: 1,
      maxGroup: options.maxGroup,
    });
  }

  /** Whether `count` more fit in the queue; when they do not, their submissions wait for their start. */
  hasRoomFor(count: number): boolean {
    return this.pending.size + count <= this.options.maxQueued;
  }

  add(experiment: Experiment): void {
    if (this.pending.has(experiment.id)) return;
    const started = this.starts
      .add(experiment)
      .catch((error: unknown) =>
        this.logger.warn(
          { err: error, experimentId: experiment.id },
          'starting an accepted experiment failed; the reconciler will start it',
        ),
      )
      .finally(() => this.pending.delete(experiment.id));
    this.pending.set(experiment.id, started);
  }

  /** Resolves once every start added so far has ended, however it ended. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending.values()]);
  }
}

async function startOutcomes(
  driver: Pick<ExperimentDriver, 'startMany'>,
  experiments: readonly Experiment[],
): Promise<ItemOutcome<void>[]> {
  const errors = await driver.startMany(experiments);
  return experiments.map((experiment) =>
    errors.has(experiment.id)
      ? { ok: false, error: errors.get(experiment.id) }
      : { ok: true, result: undefined },
  );
}

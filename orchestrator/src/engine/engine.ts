import { pluginProblems } from '@wlm/commons/dag';
import { DagValidationError } from '@wlm/commons/errors';
import type { MasterDag } from '../domain/dag-store';
import type { ExperimentState } from '../domain/experiment-state';
import type { Experiment } from '../domain/records';
import { ExperimentNotFoundError } from '../errors/experiment-not-found-error';
import { ExperimentStateError } from '../errors/experiment-state-error';
import { ExperimentDriver } from './experiment-driver';
import type { EngineParts } from './experiment-driver';
import { GroupCommit } from '@wlm/commons/batching';
import { BackgroundStarts } from './background-starts';
import { submitMany } from './submissions';
import type { SubmitOutcome } from './submissions';
import type { SubmitRequest, SubmitResult } from './submit-request';
import type { DagDefinition } from '@wlm/commons/dag';

/** Two submission groups at once: one's round trips overlap the next one's. */
const SUBMISSION_GROUPS_IN_FLIGHT = 2;
/** As many as one `POST /api/experiments/batch` holds. */
const MAX_SUBMISSION_GROUP = 1000;
/**
 * Accepted experiments waiting for their start at most (`Prefer: respond-async`): ten full batches,
 * a few seconds of starts; beyond it submissions wait for their own start, which slows submitters
 * down to the rate experiments start.
 */
const MAX_BACKGROUND_STARTS = 10_000;

const CANCELLABLE: readonly ExperimentState[] = ['PENDING', 'RUNNING'];
const RERUNNABLE: readonly ExperimentState[] = ['COMPLETED', 'FAILED', 'CANCELLED'];
const RESUMABLE: readonly ExperimentState[] = ['FAILED', 'CANCELLED'];

/**
 * What users do to experiments: submit, cancel, rerun, resume — plus storing master DAGs. Any
 * orchestrator instance may serve these (not only the leader): every step writes through the
 * stores with compare-and-set or idempotent writes, and a duplicate dispatch is dropped downstream.
 *
 * @example
 * ```ts
 * const { experiment } = await engine.submit({ type: 'diamond', inputs: { msg: 'hi' }, priority: 5, actor: 'api' });
 * await engine.cancel(experiment.id, 'api');
 * await engine.resume(experiment.id, 'api');
 * ```
 */
export class Engine {
  readonly driver: ExperimentDriver;
  /** Single submissions that arrive together go to the stores together. */
  private readonly submissions: GroupCommit<SubmitRequest, SubmitResult>;
  private readonly background: BackgroundStarts;

  constructor(private readonly parts: EngineParts) {
    this.driver = new ExperimentDriver(parts);
    this.background = new BackgroundStarts(this.driver, parts.logger, {
      maxQueued: MAX_BACKGROUND_STARTS,
      maxGroup: MAX_SUBMISSION_GROUP,
    });
    this.submissions = new GroupCommit((requests) => this.submitMany(requests), {
      groupsInFlight: SUBMISSION_GROUPS_IN_FLIGHT,
      maxGroup: MAX_SUBMISSION_GROUP,
    });
  }

  /** Validated again by the DAG store; stored as the type's next version. */
  /**
   * Stores a new version of a DAG once the plugins this orchestrator can load accept its params and
   * the outputs its templates name (`pluginProblems`).
   *
   * @throws DagValidationError naming each task and field at fault.
   */
  async putDag(definition: DagDefinition): Promise<MasterDag> {
    const plugins = await this.parts.plugins.plugins(definition.tasks.map((task) => task.type));
    const problems = pluginProblems(definition, plugins);
    if (problems.length > 0) throw new DagValidationError(problems, definition.type);
    return this.parts.dags.putMasterDag(definition);
  }

  /**
   * Creates the experiment (MySQL first: PENDING and registered, so from here on recovery owns it),
   * then starts it. A repeated idempotency key returns the first experiment — and finishes starting
   * it, should the first submission have died half-way. Submissions that arrive together go to the
   * stores together ({@link GroupCommit}); each keeps its own result or error.
   *
   * @throws DagNotFoundError when the type has no DAG; ExperimentInputError when inputs the DAG uses
   *   are missing; ExperimentInputShapeError when an input does not fit its declared shape (or the
   *   default rule); ExperimentInputLimitError when they would render a task's params past a limit of
   *   the wire; ExperimentConflictError when the key was used for a different request.
   */
  submit(request: SubmitRequest): Promise<SubmitResult> {
    return this.submissions.add(request);
  }

  /** {@link submit} for many at once, with a fixed number of store round trips; one outcome each, in order. */
  submitMany(requests: readonly SubmitRequest[]): Promise<SubmitOutcome[]> {
    return submitMany(this.parts, this.driver, this.background, requests);
  }

  /** Resolves once every experiment accepted to start in the background has been started (or failed to). */
  startsSettled(): Promise<void> {
    return this.background.idle();
  }

  /** PENDING or RUNNING → CANCELLED; its tasks are told to stop. */
  async cancel(id: string, actor: string): Promise<Experiment> {
    const current = await this.expectState(id, 'cancel', CANCELLABLE);
    const { experiment } = await this.parts.states.transitionExperiment(id, CANCELLABLE, 'CANCELLED', {
      actor,
      reason: `cancelled by ${actor}`,
    });
    if (experiment?.state !== 'CANCELLED') {
      throw new ExperimentStateError(id, 'cancel', experiment?.state ?? current.state, CANCELLABLE);
    }
    await this.driver.cancelTasks(experiment, `cancelled by ${actor}`);
    this.parts.logger.info({ experimentId: id, actor }, 'experiment cancelled');
    return experiment;
  }

  /**
   * Stops one task of a RUNNING experiment (`CANCEL_TASK` naming it). Its CANCELLED event then
   * cancels the experiment, as any task stopped from outside does; the request is audited first.
   */
  async cancelTask(id: string, taskId: string, actor: string): Promise<Experiment> {
    const experiment = await this.expectState(id, 'cancel a task of', ['RUNNING']);
    const reason = `task ${taskId} cancelled by ${actor}`;
    await this.parts.states.recordTaskRuns({
      auditEvents: [
        {
          experimentId: id,
          taskId,
          type: 'experiment.cancel-requested',
          actor,
          reason,
          details: { run: experiment.run },
        },
      ],
    });
    await this.parts.messaging.publishCancel({
      v: 1,
      type: 'CANCEL_TASK',
      experimentId: id,
      run: experiment.run,
      taskId,
      reason,
      requestedAt: new Date().toISOString(),
    });
    this.parts.logger.info({ experimentId: id, taskId, actor }, 'task cancel requested');
    return experiment;
  }

  /** A finished experiment runs again from scratch as run + 1; earlier runs stay in the history. */
  async rerun(id: string, actor: string): Promise<Experiment> {
    const current = await this.expectState(id, 'rerun', RERUNNABLE);
    const { experiment } = await this.parts.states.rerunExperiment(id, { actor, expectedRun: current.run });
    // Not changed and not past the run we saw: it is no longer finished (resumed meanwhile).
    if (experiment === undefined || experiment.run === current.run) {
      throw new ExperimentStateError(id, 'rerun', experiment?.state ?? current.state, RERUNNABLE);
    }
    this.parts.logger.info({ experimentId: id, run: experiment.run, actor }, 'experiment rerun');
    if (experiment.state === 'PENDING') await this.driver.start(experiment);
    return this.reload(id);
  }

  /**
   * A FAILED or CANCELLED experiment continues in the same run at its first incomplete nodes;
   * executed nodes keep their outputs and do not run again.
   */
  async resume(id: string, actor: string): Promise<Experiment> {
    const current = await this.expectState(id, 'resume', RESUMABLE);
    // Cancelled before it ever ran: its run was never prepared (no DAG, no first attempt).
    if (current.startedAt === null) await this.driver.prepareRun(current);
    const { experiment } = await this.parts.states.transitionExperiment(id, RESUMABLE, 'RUNNING', {
      actor,
      reason: `resumed by ${actor}`,
    });
    if (experiment?.state !== 'RUNNING' || experiment.run !== current.run) {
      throw new ExperimentStateError(id, 'resume', experiment?.state ?? current.state, RESUMABLE);
    }
    this.parts.logger.info({ experimentId: id, actor }, 'experiment resumed');
    await this.driver.continueRun(experiment, 'resume');
    return this.reload(id);
  }

  /**
   * Recovery for a new leader: every experiment of the running registry (or just `ids`), oldest
   * first. One that fails is logged and skipped so the others are not held up; the ids of those
   * are returned for another try.
   */
  async recoverAll(signal?: AbortSignal, ids?: readonly string[]): Promise<string[]> {
    const targets = ids ?? (await this.parts.states.listRunning()).map((entry) => entry.experimentId);
    const failed: string[] = [];
    for (const experimentId of targets) {
      if (signal?.aborted) break;
      try {
        await this.driver.recover(experimentId);
      } catch (error) {
        failed.push(experimentId);
        this.parts.logger.error({ err: error, experimentId }, 'recovering the experiment failed');
      }
    }
    return failed;
  }

  private async expectState(
    id: string,
    action: string,
    allowed: readonly ExperimentState[],
  ): Promise<Experiment> {
    const experiment = await this.parts.states.getExperiment(id);
    if (experiment === undefined) throw new ExperimentNotFoundError(id);
    if (!allowed.includes(experiment.state))
      throw new ExperimentStateError(id, action, experiment.state, allowed);
    return experiment;
  }

  private async reload(id: string): Promise<Experiment> {
    const experiment = await this.parts.states.getExperiment(id);
    if (experiment === undefined) throw new ExperimentNotFoundError(id);
    return experiment;
  }
}

import { isRetryableError } from '@wlm/commons/errors';
import { WIRE_TEXT_LIMITS } from '@wlm/commons/wire';
import type { Logger } from '@wlm/commons/logging';
import type { DagStore, InstantiateRequest, ReadyTask } from '../domain/dag-store';
import type { Experiment } from '../domain/records';
import type { StateStore } from '../domain/state-store';
import { firstAttemptOfRun } from './attempts';
import type { DispatchReason } from './attempts';
import { crashPoint } from './crash-point';
import type { DagCatalog } from './dag-catalog';
import type { EngineEventEmitter } from './engine-events';
import type { PluginCatalog } from './plugin-catalog';
import type { QueuedInDag } from './queued-in-dag';
import type { DispatchGroup, Dispatcher } from './dispatcher';
import { mapLimit } from './map-limit';
import type { EngineMessaging } from './messaging';
import type { RunAttempts } from './run-attempts';
import { StepTimings } from './step-timings';

/** Everything the engine's parts share. */
export interface EngineParts {
  states: StateStore;
  dags: DagStore;
  catalog: DagCatalog;
  dispatcher: Dispatcher;
  messaging: EngineMessaging;
  runAttempts: RunAttempts;
  queuedInDag: QueuedInDag;
  plugins: PluginCatalog;
  logger: Logger;
  events: EngineEventEmitter;
}

const ENGINE = 'engine';
/** Experiments started at once when a group start falls back to one by one. */
const ONE_BY_ONE_CONCURRENCY = 8;

function instantiateRequest(experiment: Experiment): InstantiateRequest {
  return {
    experimentId: experiment.id,
    run: experiment.run,
    experimentType: experiment.type,
    version: experiment.dagVersion,
    inputs: experiment.inputs,
  };
}

/** The task an experiment stops because of, for the audit trail; empty when no one task is to blame. */
export type FailureDetails = { taskId: string; attempt: number } | Record<string, never>;

/**
 * The steps that move one experiment run, shared by user actions, event handling and recovery.
 * Each is idempotent and keyed on the state it finds, so any of them may be repeated after a crash
 * or run by two orchestrators at once.
 */
export class ExperimentDriver {
  constructor(private readonly parts: EngineParts) {}

  /**
   * Starts a PENDING run: its concrete DAG (again, harmlessly, after a crash), its first attempt
   * recorded on every node, RUNNING, and its root tasks dispatched.
   */
  async start(experiment: Experiment): Promise<void> {
    await this.prepareRun(experiment);
    const { experiment: started } = await this.parts.states.transitionExperiment(
      experiment.id,
      ['PENDING'],
      'RUNNING',
      { actor: ENGINE },
    );
    // Someone cancelled it meanwhile; or another orchestrator started it, which is just as good.
    if (started?.state !== 'RUNNING' || started.run !== experiment.run) return;
    const ready = await this.parts.dags.readyTasks(started.id, started.run);
    await this.dispatch([{ experiment: started, tasks: ready, reason: 'ready' }]);
  }

  /**
   * {@link start} for many PENDING first runs at once: one Neo4j transaction instantiating all
   * their DAGs and reading their ready tasks, one transition for all, one dispatch with its
   * publishes pipelined. Resolves to the error of each experiment that could not be started
   * (absent: started, or taken by someone else). A step that fails for the whole group is retried experiment by
   * experiment when the failure is not an outage, so an experiment that breaks a shared statement
   * fails alone; an outage fails them all (each stays PENDING or RUNNING in the running registry,
   * where recovery and the reconciler find it, exactly as after a failed {@link start}).
   */
  async startMany(experiments: readonly Experiment[]): Promise<Map<string, unknown>> {
    const errors = new Map<string, unknown>();
    const firstRuns = experiments.filter((experiment) => experiment.run === 1);
    for (const experiment of experiments.filter((e) => e.run !== 1)) {
      await this.start(experiment).catch((error: unknown) => errors.set(experiment.id, error));
    }
    if (firstRuns.length === 0) return errors;
    try {
      await this.startFirstRuns(firstRuns, errors);
    } catch (error) {
      const pending = firstRuns.filter((experiment) => !errors.has(experiment.id));
      if (isRetryableError(error) || pending.length <= 1) {
        for (const experiment of pending) errors.set(experiment.id, error);
        return errors;
      }
      this.parts.logger.warn(
        { err: error, experiments: pending.length },
        'starting experiments together failed; starting them one by one',
      );
      await mapLimit(pending, ONE_BY_ONE_CONCURRENCY, (experiment) =>
        this.start(experiment).catch((failure: unknown) => errors.set(experiment.id, failure)),
      );
    }
    return errors;
  }

  private async startFirstRuns(
    experiments: readonly Experiment[],
    errors: Map<string, unknown>,
  ): Promise<void> {
    const steps = new StepTimings();
    const outcomes = await this.parts.dags.instantiateMany(experiments.map(instantiateRequest));
    crashPoint('after-neo4j-instantiate');
    steps.done('instantiate');
    const readyByExperiment = new Map<string, ReadyTask[]>();
    const instantiated = experiments.filter((experiment, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok === true) {
        readyByExperiment.set(experiment.id, outcome.result.ready);
        return true;
      }
      errors.set(experiment.id, outcome?.error);
      return false;
    });
    if (instantiated.length === 0) return;
    const transitions = await this.parts.states.transitionExperiments(
      instantiated.map((experiment) => experiment.id),
      ['PENDING'],
      'RUNNING',
      { actor: ENGINE },
    );
    steps.done('transition');
    // As in start: cancelled meanwhile is left alone; started by another orchestrator is just as good.
    // The ready tasks were read before the transition: nothing of a run that was never RUNNING can
    // have been dispatched, and should another orchestrator have started it meanwhile, what both
    // send is the same attempts, which the scheduler's fence takes once.
    const started = instantiated.flatMap((experiment) => {
      const after = transitions.get(experiment.id)?.experiment;
      return after?.state === 'RUNNING' && after.run === experiment.run ? [after] : [];
    });
    await this.dispatch(
      started.map((experiment) => ({
        experiment,
        tasks: readyByExperiment.get(experiment.id) ?? [],
        reason: 'ready' as const,
      })),
    );
    steps.done('dispatch');
    // The time of each step, to find where a start waits (`--log-level debug`).
    this.parts.logger.debug(
      {
        experiments: experiments.length,
        ...steps.ms,
      },
      'experiments started',
    );
  }

  /**
   * Creates the run's concrete DAG and, for a rerun, sets every node to the run's first attempt
   * (attempts never repeat within an experiment: `attempts.ts`). Only for a run that has never been
   * RUNNING: nothing of it can have been dispatched yet, so doing it twice changes nothing.
   */
  async prepareRun(experiment: Experiment): Promise<void> {
    const entry = await this.parts.catalog.version(experiment.type, experiment.dagVersion);
    await this.parts.dags.instantiate(instantiateRequest(experiment));
    crashPoint('after-neo4j-instantiate');
    if (experiment.run <= 1) return;
    const earlierRuns = await this.parts.states.listTaskRuns(experiment.id);
    const largest = Math.max(0, ...earlierRuns.filter((r) => r.run < experiment.run).map((r) => r.attempt));
    const first = firstAttemptOfRun(experiment.run, largest, entry.retryBudget);
    await this.parts.dags.setTaskStates(
      entry.graph.taskIds.map((taskId) => ({
        experimentId: experiment.id,
        run: experiment.run,
        taskId,
        attempt: first,
        state: 'PENDING' as const,
      })),
    );
    this.parts.runAttempts.remember(experiment.id, experiment.run, first);
  }

  /**
   * Dispatches, then fails every experiment that has a task whose request cannot be built or sent for
   * good (its params cannot be rendered, the wire refuses it) — never leaving it RUNNING with nothing
   * in flight. A retryable failure is thrown after that: its tasks are left to be dispatched again.
   */
  async dispatch(groups: readonly DispatchGroup[]): Promise<void> {
    const nonEmpty = groups.filter((group) => group.tasks.length > 0);
    if (nonEmpty.length === 0) return;
    const { unrunnable, retryableFailure } = await this.parts.dispatcher.dispatch(nonEmpty);
    const failed = new Set<string>();
    for (const task of unrunnable) {
      if (failed.has(task.experimentId)) continue;
      failed.add(task.experimentId);
      await this.fail(task.experimentId, `task ${task.taskId} cannot start: ${task.reason}`, {
        taskId: task.taskId,
        attempt: task.attempt,
      });
    }
    if (retryableFailure !== undefined) throw retryableFailure;
  }

  /**
   * Fails a PENDING or RUNNING experiment and cancels its other tasks. The state change comes first:
   * once FAILED is durable nothing dispatches for the experiment any more, and everything executed
   * stays executed for a resume. The cancel is best effort — a crash right before it leaves the
   * other branches running to their end, whose results are then recorded like any other.
   */
  fail(experimentId: string, reason: string, details: FailureDetails): Promise<void> {
    return this.stop(experimentId, 'FAILED', reason, details);
  }

  /** Ends a PENDING or RUNNING experiment as FAILED or CANCELLED, then cancels its tasks (see {@link fail}). */
  async stop(
    experimentId: string,
    to: 'FAILED' | 'CANCELLED',
    reason: string,
    details: FailureDetails,
  ): Promise<void> {
    const { changed, experiment } = await this.parts.states.transitionExperiment(
      experimentId,
      ['PENDING', 'RUNNING'],
      to,
      { actor: ENGINE, reason, details },
    );
    if (experiment?.state !== to) return;
    if (changed)
      this.parts.logger.warn({ experimentId, ...details, reason }, `experiment ${to.toLowerCase()}`);
    await this.cancelTasks(experiment, `experiment ${to.toLowerCase()}: ${reason}`);
  }

  /** Tells the scheduler and the workers to stop every task of the experiment's current run. */
  async cancelTasks(experiment: { id: string; run: number }, reason: string): Promise<void> {
    await this.parts.messaging.publishCancel({
      v: 1,
      type: 'CANCEL_TASK',
      experimentId: experiment.id,
      run: experiment.run,
      reason: reason.slice(0, WIRE_TEXT_LIMITS.messageChars),
      requestedAt: new Date().toISOString(),
    });
  }

  /**
   * Completes a RUNNING run whose every node is executed. `firstIncompleteTasks` is empty exactly
   * then: an unexecuted node always has a first unexecuted ancestor (or is one).
   */
  async completeIfDone(experiment: Pick<Experiment, 'id' | 'run'>): Promise<boolean> {
    return (await this.completeManyIfDone([experiment])).has(experiment.id);
  }

  /**
   * {@link completeIfDone} for many runs: one query for their first incomplete tasks, one
   * transition for those with none. Resolves to the ids of the experiments now COMPLETED.
   */
  async completeManyIfDone(experiments: readonly Pick<Experiment, 'id' | 'run'>[]): Promise<Set<string>> {
    if (experiments.length === 0) return new Set();
    const incomplete = await this.parts.dags.firstIncompleteTasksOfRuns(
      experiments.map((experiment) => ({ experimentId: experiment.id, run: experiment.run })),
    );
    const unfinished = new Set(incomplete.map((task) => `${task.experimentId}\u0000${task.run}`));
    const done = experiments.filter(
      (experiment) => !unfinished.has(`${experiment.id}\u0000${experiment.run}`),
    );
    if (done.length === 0) return new Set();
    const results = await this.parts.states.transitionExperiments(
      done.map((experiment) => experiment.id),
      ['RUNNING'],
      'COMPLETED',
      { actor: ENGINE },
    );
    const completed = new Set<string>();
    for (const experiment of done) {
      const result = results.get(experiment.id);
      if (result?.changed === true)
        this.parts.logger.info({ experimentId: experiment.id, run: experiment.run }, 'experiment completed');
      if (result?.experiment?.state === 'COMPLETED') completed.add(experiment.id);
    }
    return completed;
  }

  /**
   * Picks up one experiment of the running registry after a crash or a change of leader: a PENDING
   * one is started (again), a RUNNING one continues at its first incomplete nodes. Executed nodes are
   * never among those, so nothing executed runs again.
   */
  async recover(experimentId: string): Promise<void> {
    const experiment = await this.parts.states.getExperiment(experimentId);
    const log = this.parts.logger.child({ experimentId });
    if (experiment === undefined) {
      log.warn('the running registry names an unknown experiment; removing the entry');
      await this.parts.states.removeRunning(experimentId);
      return;
    }
    if (experiment.state === 'PENDING') {
      log.info({ run: experiment.run }, 'recovering a PENDING experiment: starting it');
      await this.start(experiment);
      return;
    }
    if (experiment.state !== 'RUNNING') {
      log.warn(
        { state: experiment.state },
        'the running registry lists a finished experiment; removing the entry',
      );
      await this.parts.states.removeRunning(experimentId);
      return;
    }
    // Recreated only if missing — which cannot happen, but "no DAG" must never read as "all done".
    await this.parts.dags.instantiate(instantiateRequest(experiment));
    await this.continueRun(experiment, 'recover');
  }

  /** Dispatches a RUNNING run's first incomplete nodes, or completes it when there are none. */
  async continueRun(experiment: Experiment, reason: DispatchReason): Promise<void> {
    const tasks: ReadyTask[] = await this.parts.dags.firstIncompleteTasks(experiment.id, experiment.run);
    if (tasks.length === 0) {
      await this.completeIfDone(experiment);
      return;
    }
    this.parts.logger.info(
      { experimentId: experiment.id, run: experiment.run, tasks: tasks.map((task) => task.taskId), reason },
      'continuing at the first incomplete tasks',
    );
    await this.dispatch([{ experiment, tasks, reason }]);
  }
}

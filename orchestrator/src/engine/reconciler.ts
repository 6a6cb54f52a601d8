import { setTimeout as sleep } from 'node:timers/promises';
import { WlmError } from '@wlm/commons/errors';
import type { Logger } from '@wlm/commons/logging';
import type { DagStore, ReadyTask } from '../domain/dag-store';
import type { Experiment } from '../domain/records';
import type { StateStore } from '../domain/state-store';
import type { ExperimentDriver } from './experiment-driver';

export interface ReconcilerOptions {
  states: StateStore;
  dags: DagStore;
  driver: ExperimentDriver;
  logger: Logger;
  /** Pause between passes. Default 30 s. */
  intervalMs?: number | undefined;
  /** Most experiments one pass examines; the next pass goes on where it stopped. Default 200. */
  maxPerPass?: number | undefined;
}

/** What a pass found and did, for logs and tests. */
export interface ReconcileSummary {
  examined: number;
  /** Idle in this pass for the first time: acted on in the next pass if still so. */
  suspected: number;
  dispatched: number;
  completed: number;
  failed: number;
  started: number;
}

/** Why an experiment with nothing in flight is stuck, and what gets it moving (or ends it). */
type Verdict =
  | { kind: 'in-flight' }
  | { kind: 'start' }
  | { kind: 'complete' }
  | { kind: 'dispatch'; tasks: ReadyTask[] }
  | { kind: 'fail'; taskId: string; attempt: number; reason: string };

const PAGE = 1000;

/**
 * Finds experiments of the running registry that are stuck — nothing in flight, yet not finished —
 * and moves them, all the time on the leader (recovery at election only covers what a crash left).
 * "In flight" means a first incomplete task is QUEUED or RUNNING (waiting for a worker counts), or
 * FAILED with a retryable failure (the scheduler holds its next attempt). With nothing in flight:
 *
 * - no incomplete task: the run is complete and becomes COMPLETED;
 * - a FAILED task whose failure was final: the experiment fails, naming it;
 * - otherwise its ready tasks (PENDING, CANCELLED) are dispatched with the attempts recovery uses
 *   (`dispatchAttempt(…, 'recover')`); a dispatch that fails for good fails the experiment;
 * - a PENDING experiment is started (again).
 *
 * An experiment is acted on only when two passes in a row find it idle with the same tasks in the
 * same states: a dispatch in progress (published, not yet recorded) or a submission being started
 * is never taken for a stuck one.
 */
export class Reconciler {
  private readonly idleBefore = new Map<string, string>();
  private offset = 0;
  private loop: Promise<void> | undefined;
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly maxPerPass: number;

  constructor(private readonly options: ReconcilerOptions) {
    this.logger = options.logger.child({ module: 'reconciler' });
    this.intervalMs = options.intervalMs ?? 30_000;
    this.maxPerPass = options.maxPerPass ?? 200;
  }

  /** Runs a pass every interval until `signal` aborts (the leadership ends). */
  start(signal: AbortSignal): void {
    this.idleBefore.clear();
    this.loop = this.run(signal);
  }

  /** Resolves once the loop started last has ended (its pass in hand finished). */
  async stopped(): Promise<void> {
    await this.loop;
  }

  /** One pass over the next `maxPerPass` registry entries. */
  async pass(signal?: AbortSignal): Promise<ReconcileSummary> {
    const summary: ReconcileSummary = {
      examined: 0,
      suspected: 0,
      dispatched: 0,
      completed: 0,
      failed: 0,
      started: 0,
    };
    const registry = (await this.options.states.listRunning()).map((entry) => entry.experimentId);
    const present = new Set(registry);
    for (const id of this.idleBefore.keys()) if (!present.has(id)) this.idleBefore.delete(id);
    if (this.offset >= registry.length) this.offset = 0;
    const batch = registry.slice(this.offset, this.offset + this.maxPerPass);
    this.offset += batch.length;
    for (const experimentId of batch) {
      if (signal?.aborted === true) break;
      summary.examined += 1;
      try {
        await this.examine(experimentId, summary);
      } catch (error) {
        this.logger.error({ err: error, experimentId }, 'reconciling the experiment failed');
      }
    }
    return summary;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const slept = await sleep(this.intervalMs, true, { signal }).catch(() => false);
      if (!slept) return;
      try {
        const summary = await this.pass(signal);
        if (summary.dispatched + summary.completed + summary.failed + summary.started > 0) {
          this.logger.warn(summary, 'reconciled experiments that had nothing in flight');
        }
      } catch (error) {
        this.logger.error({ err: error }, 'a reconciliation pass failed; trying again next interval');
      }
    }
  }

  private async examine(experimentId: string, summary: ReconcileSummary): Promise<void> {
    const experiment = await this.options.states.getExperiment(experimentId);
    if (experiment === undefined || (experiment.state !== 'PENDING' && experiment.state !== 'RUNNING'))
      return;
    const frontier =
      experiment.state === 'RUNNING'
        ? await this.options.dags.firstIncompleteTasks(experiment.id, experiment.run)
        : [];
    const verdict = await this.verdict(experiment, frontier);
    if (verdict.kind === 'in-flight') {
      this.idleBefore.delete(experimentId);
      return;
    }
    const fingerprint = [
      experiment.state,
      experiment.run,
      ...frontier.map((task) => `${task.taskId}/${task.state}/${task.attempt}`).sort(),
    ].join(' ');
    if (this.idleBefore.get(experimentId) !== fingerprint) {
      this.idleBefore.set(experimentId, fingerprint);
      summary.suspected += 1;
      return;
    }
    this.idleBefore.delete(experimentId);
    try {
      await this.act(experiment, verdict, summary);
    } catch (error) {
      // A deliberate, permanent error (a stored DAG this version cannot read, a DAG that is gone)
      // will be the same next time: nothing can ever move the experiment.
      if (!(error instanceof WlmError) || error.retryable) throw error;
      await this.options.driver.fail(experiment.id, `it cannot continue: ${error.message}`, {});
      summary.failed += 1;
    }
  }

  private async verdict(experiment: Experiment, frontier: readonly ReadyTask[]): Promise<Verdict> {
    if (experiment.state === 'PENDING') return { kind: 'start' };
    if (frontier.length === 0) return { kind: 'complete' };
    if (frontier.some((task) => task.state === 'QUEUED' || task.state === 'RUNNING')) {
      return { kind: 'in-flight' };
    }
    const failed = frontier.filter((task) => task.state === 'FAILED');
    if (failed.length > 0) {
      const finals = await this.finalFailures(experiment);
      for (const task of failed) {
        const final = finals.get(`${task.taskId}/${task.attempt}`);
        if (final !== undefined) {
          return { kind: 'fail', taskId: task.taskId, attempt: task.attempt, reason: final };
        }
      }
      // A retryable failure: the scheduler holds the next attempt.
      return { kind: 'in-flight' };
    }
    return { kind: 'dispatch', tasks: [...frontier] };
  }

  /**
   * The final failures of the experiment's current run, `taskId/attempt` → reason, from the audit
   * trail: the one place that records whether a failure was retryable.
   */
  private async finalFailures(experiment: Experiment): Promise<Map<string, string>> {
    const finals = new Map<string, string>();
    let cursor: string | undefined;
    do {
      const page = await this.options.states.listAuditEvents(experiment.id, { limit: PAGE, cursor });
      for (const event of page.items) {
        const details = event.details ?? {};
        if (
          event.type === 'task.transitioned' &&
          event.toState === 'FAILED' &&
          event.taskId !== null &&
          details['retryable'] === false &&
          details['run'] === experiment.run
        ) {
          finals.set(`${event.taskId}/${String(details['attempt'])}`, event.reason ?? 'no reason given');
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return finals;
  }

  private async act(experiment: Experiment, verdict: Verdict, summary: ReconcileSummary): Promise<void> {
    const log = this.logger.child({ experimentId: experiment.id, run: experiment.run });
    const { driver } = this.options;
    switch (verdict.kind) {
      case 'in-flight':
        return;
      case 'start':
        log.warn('a PENDING experiment was never started: starting it');
        await driver.recover(experiment.id);
        summary.started += 1;
        return;
      case 'complete':
        log.warn('a RUNNING experiment has every task executed: completing it');
        if (await driver.completeIfDone(experiment)) summary.completed += 1;
        return;
      case 'fail':
        log.warn(
          { taskId: verdict.taskId },
          'a task failed for good but its experiment still ran: failing it',
        );
        await driver.fail(
          experiment.id,
          `task ${verdict.taskId} failed for good (attempt ${verdict.attempt}): ${verdict.reason}`,
          { taskId: verdict.taskId, attempt: verdict.attempt },
        );
        summary.failed += 1;
        return;
      case 'dispatch':
        log.warn(
          { tasks: verdict.tasks.map((task) => task.taskId) },
          'a RUNNING experiment had nothing in flight: dispatching its ready tasks',
        );
        await driver.dispatch([{ experiment, tasks: verdict.tasks, reason: 'recover' }]);
        summary.dispatched += 1;
    }
  }
}

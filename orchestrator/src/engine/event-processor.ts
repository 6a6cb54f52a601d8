import type { Logger } from '@wlm/commons/logging';
import type { TaskEvent, TaskEventOf } from '@wlm/commons/wire';
import type { DagStore, ReadyTask } from '../domain/dag-store';
import type { Experiment } from '../domain/records';
import type { StateStore } from '../domain/state-store';
import type { TaskReportUpdate } from '../domain/task-report';
import { ExperimentNotFoundError } from '../errors/experiment-not-found-error';
import type { BatchProcessor } from './batcher';
import { crashPoint } from './crash-point';
import type { DagCatalog } from './dag-catalog';
import type { EngineEventEmitter } from './engine-events';
import type { ExperimentDriver } from './experiment-driver';
import { mapLimit } from './map-limit';
import type { QueuedInDag } from './queued-in-dag';
import {
  isFinalFailure,
  isRecorded,
  taskAuditEvents,
  taskCompletion,
  taskReportOf,
  taskRunUpdate,
  taskStateChange,
  taskWaitingAudit,
} from './task-event-records';
import type { RecordedEvent, WaitEvent } from './task-event-records';
import { isSupersededUnschedulable, isUnschedulable, placedAttempts } from './unschedulable';
import type { RunAttempts } from './run-attempts';
import { StepTimings } from './step-timings';

/** What the event path reads and writes: the part of the engine's parts (`EngineParts`) it uses. */
export interface EventProcessorParts {
  states: Pick<StateStore, 'getExperiments' | 'listTaskRuns' | 'recordTaskRuns'>;
  dags: Pick<DagStore, 'recordTaskEvents' | 'getConcreteDag'>;
  catalog: Pick<DagCatalog, 'version'>;
  runAttempts: Pick<RunAttempts, 'firstAttempt'>;
  queuedInDag: Pick<QueuedInDag, 'take'>;
  logger: Logger;
  events: EngineEventEmitter;
}

/** The experiment steps the event path takes: stopping, completing, dispatching ({@link ExperimentDriver}). */
export type EventSteps = Pick<ExperimentDriver, 'fail' | 'stop' | 'completeManyIfDone' | 'dispatch'>;

/** The events of one batch that belong to one experiment's current run. */
interface ExperimentEvents {
  experiment: Experiment;
  events: RecordedEvent[];
  /** DEFERRED and WAITING events: audited, changing no state. */
  waiting: WaitEvent[];
  /** Progress and log tails the events carried (PROGRESS events carry nothing else). */
  reports: TaskReportUpdate[];
}

/** A RUNNING experiment's tasks that completed in the batch: where its run may go on. */
interface Completing {
  experiment: Experiment;
  completed: string[];
}

/** Store reads in flight at once for one batch (per-experiment reads and ready queries). */
const READ_CONCURRENCY = 16;

/**
 * Handles a batch of task events — the leader's hot path:
 *
 * 1. MySQL: every task run, audit entry, progress and log tail of the batch, one transaction; at
 *    the same time
 * 2. Neo4j: completions marked executed, other states recorded (forward only; not a QUEUED this
 *    process already committed there, {@link QueuedInDag}), and the dependents of the completions
 *    that became ready read, one transaction;
 * 3. experiments with a final task failure FAIL, those with a task cancelled by someone else are
 *    CANCELLED (their other tasks are cancelled either way);
 * 4. the others' ready dependents are dispatched, for all experiments together, while beside it
 *    the runs whose sink completed are checked and COMPLETE if nothing is left;
 * 5. only then the batch is acked (by the caller, when this resolves).
 *
 * Every step is idempotent, so a crash anywhere means the batch comes again and is redone; steps
 * already done change nothing the second time (docs/recovery.md).
 */
export class EventProcessor {
  constructor(
    private readonly parts: EventProcessorParts,
    private readonly driver: EventSteps,
  ) {}

  readonly process: BatchProcessor<TaskEvent> = async (events) => {
    const steps = new StepTimings();
    const failures = new Map<TaskEvent, Error>();
    const groups = await this.group(events, failures);
    steps.done('read');
    const recorded = groups.flatMap((group) =>
      group.events.map((event) => ({ event, run: group.experiment.run })),
    );
    const waiting = groups.flatMap((group) =>
      group.waiting.map((event) => taskWaitingAudit(event, group.experiment.run)),
    );
    const reports = groups.flatMap((group) => group.reports);
    const completing = completingOf(groups);
    let ready: ReadyTask[] = [];
    if (recorded.length > 0 || waiting.length > 0 || reports.length > 0) {
      // Independent stores: written side by side. Both are done before anything acts on them.
      [, ready] = await Promise.all([
        this.parts.states.recordTaskRuns({
          taskRuns: recorded.map(({ event, run }) => taskRunUpdate(event, run)),
          auditEvents: [...recorded.flatMap(({ event, run }) => taskAuditEvents(event, run)), ...waiting],
          reports,
        }),
        this.recordInDags(recorded, completing),
      ]);
      this.parts.events.emit(
        'events:applied',
        recorded.map(({ event }) => event),
      );
    }
    steps.done('write');
    const stopped = await this.stopExperiments(groups.filter((group) => group.events.length > 0));
    await this.advance(
      completing.filter(({ experiment }) => !stopped.has(experiment.id)),
      ready,
    );
    steps.done('advance');
    this.parts.logger.debug(
      {
        events: events.length,
        experiments: groups.length,
        ...steps.ms,
      },
      'event batch handled',
    );
    crashPoint('before-event-ack');
    return failures;
  };

  /**
   * Sorts the batch by experiment, reading all its experiments at once. An event for an unknown experiment
   * fails on its own (dead-lettered); one from an earlier run of its experiment (a late event after
   * a rerun: it names an earlier run) is dropped with a log line.
   */
  private async group(
    events: readonly TaskEvent[],
    failures: Map<TaskEvent, Error>,
  ): Promise<ExperimentEvents[]> {
    const byExperiment = new Map<string, TaskEvent[]>();
    for (const event of events) {
      const list = byExperiment.get(event.experimentId);
      if (list === undefined) byExperiment.set(event.experimentId, [event]);
      else list.push(event);
    }
    // One query for every experiment of the batch: a round trip each is what a batch of many costs most.
    const experiments = await this.parts.states.getExperiments([...byExperiment.keys()]);
    const groups = await mapLimit([...byExperiment], READ_CONCURRENCY, async ([id, list]) => {
      const experiment = experiments.get(id);
      if (experiment === undefined) {
        for (const event of list) failures.set(event, new ExperimentNotFoundError(id));
        return undefined;
      }
      const first = await this.parts.runAttempts.firstAttempt(id, experiment.run);
      const current: RecordedEvent[] = [];
      const waiting: WaitEvent[] = [];
      const reports: TaskReportUpdate[] = [];
      for (const event of list) {
        // The event names its run; the attempt floor also holds for events of runs before the wire had one.
        if (event.run === experiment.run && event.attempt >= first) {
          const report = taskReportOf(event, experiment.run);
          if (report !== undefined) reports.push(report);
          if (event.state === 'PROGRESS') continue;
          if (isRecorded(event)) current.push(event);
          else waiting.push(event);
        } else {
          this.parts.logger.info(
            {
              experimentId: id,
              taskId: event.taskId,
              attempt: event.attempt,
              state: event.state,
              eventRun: event.run,
              run: experiment.run,
            },
            'ignoring a late event of an earlier run',
          );
        }
      }
      return {
        experiment,
        events: await this.dropPlacedUnschedulable(experiment, current),
        waiting,
        reports,
      };
    });
    return groups.filter(
      (group): group is ExperimentEvents =>
        group !== undefined && group.events.length + group.waiting.length + group.reports.length > 0,
    );
  }

  /**
   * Drops a queue timeout's FAILED for an attempt a worker was given after all (see
   * `placedAttempts`); reads the run's task runs only when the batch has such a failure.
   */
  private async dropPlacedUnschedulable(
    experiment: Experiment,
    events: RecordedEvent[],
  ): Promise<RecordedEvent[]> {
    if (!events.some(isUnschedulable)) return events;
    const runs = await this.parts.states.listTaskRuns(experiment.id, { run: experiment.run });
    const placed = placedAttempts(runs, events);
    return events.filter((event) => {
      if (!isSupersededUnschedulable(event, placed)) return true;
      this.parts.logger.info(
        { experimentId: experiment.id, taskId: event.taskId, attempt: event.attempt },
        'ignoring a queue timeout of an attempt already placed on a worker',
      );
      return false;
    });
  }

  /**
   * Writes the batch to the DAGs and reads the dependents of `completing`'s completions that became
   * ready. One transaction for the batch: each commit is a flush of Neo4j's log, each round trip
   * is latency between a task's end and its dependents' start, and this is the hot path.
   */
  private async recordInDags(
    recorded: readonly { event: RecordedEvent; run: number }[],
    completing: readonly Completing[],
  ): Promise<ReadyTask[]> {
    const completions = [];
    const changes = [];
    for (const { event, run } of recorded) {
      if (event.state === 'COMPLETED') completions.push(taskCompletion(event, run));
      else {
        const change = taskStateChange(event, run);
        // The scheduler's QUEUED of an attempt this process recorded: already there (QueuedInDag).
        if (!this.parts.queuedInDag.take(change)) changes.push(change);
      }
    }
    const { ready } = await this.parts.dags.recordTaskEvents(
      completions,
      changes,
      completing.map(({ experiment, completed }) => ({
        experimentId: experiment.id,
        run: experiment.run,
        completedTaskIds: completed,
      })),
    );
    return ready;
  }

  /**
   * Stops the RUNNING experiments that cannot go on: a final task failure FAILS the experiment; a
   * task cancelled by someone else (the scheduler dropped it, an operator cancelled one task)
   * CANCELS it, rather than leaving it RUNNING forever — a resume runs that task again. Either event
   * is ignored when superseded: the node executed after all, or a later attempt exists (a late copy
   * of what stopped the experiment before it was resumed), or — for a cancel — it happened before
   * the experiment last started running. Returns the experiments that stopped.
   */
  private async stopExperiments(groups: readonly ExperimentEvents[]): Promise<Set<string>> {
    const stopped = new Set<string>();
    for (const { experiment, events } of groups) {
      if (experiment.state !== 'RUNNING') continue;
      const finals = events.filter(isFinalFailure);
      const cancels = events.filter(
        (event): event is TaskEventOf<'CANCELLED'> =>
          event.state === 'CANCELLED' && Date.parse(event.at) >= experiment.updatedAt.getTime(),
      );
      if (finals.length === 0 && cancels.length === 0) continue;
      const dag = await this.parts.dags.getConcreteDag(experiment.id, experiment.run);
      const current = (event: TaskEvent): boolean => {
        const node = dag?.tasks.find((task) => task.taskId === event.taskId);
        return node === undefined || (!node.isExecuted && node.attempt <= event.attempt);
      };
      const failure = finals.find(current);
      const cancel = cancels.find(current);
      if (failure !== undefined) {
        const reason = `task ${failure.taskId} failed (attempt ${failure.attempt}): ${failure.reason}`;
        await this.driver.fail(experiment.id, reason, { taskId: failure.taskId, attempt: failure.attempt });
      } else if (cancel !== undefined) {
        const reason = `task ${cancel.taskId} was cancelled (attempt ${cancel.attempt})${cancel.reason === undefined ? '' : `: ${cancel.reason}`}`;
        await this.driver.stop(experiment.id, 'CANCELLED', reason, {
          taskId: cancel.taskId,
          attempt: cancel.attempt,
        });
      } else continue;
      stopped.add(experiment.id);
    }
    return stopped;
  }

  /**
   * For RUNNING experiments with completions: dispatch the dependents that became ready (`ready`,
   * read with the batch's writes), or complete the run when a sink completed and nothing is left.
   * Every completion of the batch counts, not only the newly executed ones, so a batch redone after
   * a crash dispatches what the crash may have kept from going out.
   */
  private async advance(running: readonly Completing[], ready: readonly ReadyTask[]): Promise<void> {
    const byExperiment = new Map<string, ReadyTask[]>();
    for (const task of ready) {
      const list = byExperiment.get(task.experimentId);
      if (list === undefined) byExperiment.set(task.experimentId, [task]);
      else list.push(task);
    }
    // Side by side: an experiment with a ready task is not done, and one that is done has none, so
    // neither step changes what the other does — and the dispatch, the latency path to the
    // dependents' start, does not wait for the completions' round trips.
    await Promise.all([
      this.driver.dispatch(
        running.map(({ experiment }) => ({
          experiment,
          // Each experiment is asked about its current run only, so its tasks are of that run.
          tasks: byExperiment.get(experiment.id) ?? [],
          reason: 'ready' as const,
        })),
      ),
      this.completeIfDone(running),
    ]);
  }

  /** One query and one transition for every experiment of the batch whose sink completed and may be done. */
  private async completeIfDone(running: readonly Completing[]): Promise<void> {
    const sinkCompleted = await mapLimit(running, READ_CONCURRENCY, async ({ experiment, completed }) => {
      const { sinks } = await this.parts.catalog.version(experiment.type, experiment.dagVersion);
      return completed.some((taskId) => sinks.has(taskId));
    });
    await this.driver.completeManyIfDone(
      running.filter((_, index) => sinkCompleted[index]).map(({ experiment }) => experiment),
    );
  }
}

/**
 * The RUNNING experiments of the batch with completions, and which of their tasks completed. Their
 * state is the one read with the batch: one stopped by this batch is left out later.
 */
function completingOf(groups: readonly ExperimentEvents[]): Completing[] {
  return groups
    .map(({ experiment, events }) => ({
      experiment,
      completed: [
        ...new Set(events.filter((event) => event.state === 'COMPLETED').map((event) => event.taskId)),
      ],
    }))
    .filter(({ experiment, completed }) => experiment.state === 'RUNNING' && completed.length > 0);
}

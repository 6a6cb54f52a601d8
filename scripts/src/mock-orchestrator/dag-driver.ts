import { readyDependentsOf, rootTasks } from '@wlm/commons/dag';
import { runStartOf } from '@wlm/commons/wire';
import type { DagTask } from '@wlm/commons/dag';
import type { TaskEvent, TaskEventOf } from '@wlm/commons/wire';
import { LatencyRecorder } from './latency-stats';
import { RetryTally } from './retry-tally';
import type { PlannedDag } from './run-plan';

/** A task that is ready: the caller publishes its TaskRequest (attempt 1). */
export interface TaskDispatch {
  readonly experimentId: string;
  readonly taskId: string;
  readonly priority: number;
  readonly task: DagTask;
}

/**
 * What an event did: `foreign` (another run's experiment) and `unknown-task` (a task this run never
 * dispatched) are ignored; `duplicate` is a redelivery or a late event of a task already settled.
 */
export type EventOutcome =
  'completed' | 'failed' | 'retrying' | 'progress' | 'duplicate' | 'foreign' | 'unknown-task';

export interface EventStep {
  readonly outcome: EventOutcome;
  /** Tasks that became ready; empty unless `outcome` is `completed`. */
  readonly dispatch: readonly TaskDispatch[];
}

/** Why a task failed for good (the first {@link MAX_FAILURES_KEPT} of a run). */
export interface FailureRecord {
  readonly experimentId: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly reason: string;
  readonly errorCode?: string;
}

/** Enough to see what went wrong; a run where everything fails would otherwise print thousands. */
export const MAX_FAILURES_KEPT = 20;

export interface DriverCounts {
  readonly dags: number;
  readonly tasks: number;
  readonly dispatched: number;
  readonly completed: number;
  /** Tasks that failed for good (FAILED with `retryable: false`, CANCELLED, or not publishable). */
  readonly failed: number;
  /** Runs of a task after its first (see {@link RetryTally}). */
  readonly retried: number;
  /** Tasks never dispatched because their DAG failed. */
  readonly skipped: number;
  /** Dispatched, neither completed nor failed yet. */
  readonly inFlight: number;
  readonly dagsCompleted: number;
  readonly dagsFailed: number;
  readonly duplicateEvents: number;
  readonly ignoredEvents: number;
}

interface DagRun {
  readonly plan: PlannedDag;
  state: 'running' | 'completed' | 'failed';
  readonly publishedAt: Map<string, number>;
  /** The same ids as `publishedAt`, as the set `readyDependentsOf` wants. */
  readonly dispatched: Set<string>;
  readonly completed: Set<string>;
  readonly failed: Set<string>;
  readonly started: Set<string>;
}

/**
 * The mock orchestrator's engine, pure: fed task events, it says which tasks to dispatch next and
 * keeps the counts and latencies. Times are passed in (milliseconds since the epoch), so tests drive
 * it with a fake clock and no broker.
 *
 * Idempotent on `(experimentId, taskId, attempt)`: a task completes once and dispatches its
 * dependents once, however often its events are delivered. A FAILED with `retryable: false` is the
 * task's final failure and fails its DAG: no further task of it is dispatched.
 */
export class DagDriver {
  readonly completionLatency = new LatencyRecorder();
  readonly startLatency = new LatencyRecorder();
  private readonly runs = new Map<string, DagRun>();
  private readonly retries = new RetryTally();
  private readonly failureRecords: FailureRecord[] = [];
  private readonly totalTasks: number;
  private started = false;
  private dispatchedCount = 0;
  private completedCount = 0;
  private failedCount = 0;
  private skippedCount = 0;
  private dagsCompleted = 0;
  private dagsFailed = 0;
  private duplicateEvents = 0;
  private ignoredEvents = 0;

  constructor(dags: readonly PlannedDag[]) {
    let tasks = 0;
    for (const plan of dags) {
      if (this.runs.has(plan.experimentId)) throw new RangeError(`duplicate experiment ${plan.experimentId}`);
      this.runs.set(plan.experimentId, {
        plan,
        state: 'running',
        publishedAt: new Map(),
        dispatched: new Set(),
        completed: new Set(),
        failed: new Set(),
        started: new Set(),
      });
      tasks += plan.graph.taskIds.length;
    }
    this.totalTasks = tasks;
  }

  /** The root tasks of every DAG. Call once, before any event. */
  start(now: number): TaskDispatch[] {
    if (this.started) throw new Error('DagDriver.start() was called twice');
    this.started = true;
    const dispatch: TaskDispatch[] = [];
    for (const run of this.runs.values()) {
      for (const taskId of rootTasks(run.plan.graph)) dispatch.push(this.dispatch(run, taskId, now));
    }
    return dispatch;
  }

  /** True once every DAG has completed or failed. */
  get finished(): boolean {
    return this.dagsCompleted + this.dagsFailed === this.runs.size;
  }

  /** Applies one task event received at `now`. */
  onEvent(event: TaskEvent, now: number): EventStep {
    const run = this.runs.get(event.experimentId);
    if (run === undefined) return this.ignore('foreign');
    if (!run.dispatched.has(event.taskId)) return this.ignore('unknown-task');
    if (run.completed.has(event.taskId) || run.failed.has(event.taskId)) {
      this.duplicateEvents += 1;
      return { outcome: 'duplicate', dispatch: [] };
    }
    const key = `${event.experimentId}/${event.taskId}`;
    const startedAt = runStartOf(event);
    if (startedAt !== undefined) this.noteStart(run, event.taskId, startedAt);
    switch (event.state) {
      case 'COMPLETED':
        this.retries.observe(key, event.attempt);
        return { outcome: 'completed', dispatch: this.complete(run, event.taskId, now) };
      case 'FAILED':
        return this.onFailed(run, event, key);
      case 'CANCELLED':
        this.retries.observe(key, event.attempt);
        this.fail(run, event.taskId, event.attempt, event.reason ?? 'cancelled', 'CANCELLED');
        return { outcome: 'failed', dispatch: [] };
      case 'RUNNING':
      case 'QUEUED':
      case 'PROGRESS':
      case 'DEFERRED':
      case 'WAITING':
        this.retries.observe(key, event.attempt);
        return { outcome: 'progress', dispatch: [] };
    }
  }

  /** The TaskRequest of `taskId` could not be published (e.g. unroutable): its final failure. */
  onPublishFailed(experimentId: string, taskId: string, reason: string): void {
    const run = this.runs.get(experimentId);
    if (run === undefined || run.completed.has(taskId) || run.failed.has(taskId)) return;
    this.fail(run, taskId, 1, reason, 'PUBLISH_FAILED');
  }

  counts(): DriverCounts {
    return {
      dags: this.runs.size,
      tasks: this.totalTasks,
      dispatched: this.dispatchedCount,
      completed: this.completedCount,
      failed: this.failedCount,
      retried: this.retries.count,
      skipped: this.skippedCount,
      inFlight: this.dispatchedCount - this.completedCount - this.failedCount,
      dagsCompleted: this.dagsCompleted,
      dagsFailed: this.dagsFailed,
      duplicateEvents: this.duplicateEvents,
      ignoredEvents: this.ignoredEvents,
    };
  }

  failures(): readonly FailureRecord[] {
    return this.failureRecords;
  }

  /** The task's first start, from its RUNNING or from the `startedAt` of the event that ended it. */
  private noteStart(run: DagRun, taskId: string, at: string): void {
    if (run.started.has(taskId)) return;
    run.started.add(taskId);
    // The worker's clock against ours: exact on one machine; clamped so skew cannot go negative.
    const startedAt = Date.parse(at);
    const publishedAt = run.publishedAt.get(taskId) ?? startedAt;
    this.startLatency.record(run.plan.priority, Math.max(0, startedAt - publishedAt));
  }

  private onFailed(run: DagRun, event: TaskEventOf<'FAILED'>, key: string): EventStep {
    // The scheduler's verdict on exhausted retries is not a run of its own; every other FAILED is.
    if (event.errorCode !== 'RETRIES_EXHAUSTED') this.retries.observe(key, event.attempt);
    if (event.retryable) {
      this.retries.announceNext(key, event.attempt);
      return { outcome: 'retrying', dispatch: [] };
    }
    this.retries.settleFailure(key);
    this.fail(run, event.taskId, event.attempt, event.reason, event.errorCode);
    return { outcome: 'failed', dispatch: [] };
  }

  private complete(run: DagRun, taskId: string, now: number): TaskDispatch[] {
    run.completed.add(taskId);
    this.completedCount += 1;
    this.completionLatency.record(run.plan.priority, now - (run.publishedAt.get(taskId) ?? now));
    // A sibling still running when its DAG failed may complete; it counts, but starts nothing.
    if (run.state !== 'running') return [];
    if (run.completed.size === run.plan.graph.taskIds.length) {
      run.state = 'completed';
      this.dagsCompleted += 1;
      return [];
    }
    return readyDependentsOf(run.plan.graph, taskId, run.completed, run.dispatched).map((id) =>
      this.dispatch(run, id, now),
    );
  }

  private fail(run: DagRun, taskId: string, attempt: number, reason: string, errorCode?: string): void {
    run.failed.add(taskId);
    this.failedCount += 1;
    if (this.failureRecords.length < MAX_FAILURES_KEPT) {
      this.failureRecords.push({
        experimentId: run.plan.experimentId,
        taskId,
        attempt,
        reason,
        ...(errorCode === undefined ? {} : { errorCode }),
      });
    }
    if (run.state === 'running') {
      run.state = 'failed';
      this.dagsFailed += 1;
      this.skippedCount += run.plan.graph.taskIds.length - run.dispatched.size;
    }
  }

  private dispatch(run: DagRun, taskId: string, now: number): TaskDispatch {
    run.dispatched.add(taskId);
    run.publishedAt.set(taskId, now);
    this.dispatchedCount += 1;
    return {
      experimentId: run.plan.experimentId,
      taskId,
      priority: run.plan.priority,
      task: run.plan.graph.task(taskId),
    };
  }

  private ignore(outcome: 'foreign' | 'unknown-task'): EventStep {
    this.ignoredEvents += 1;
    return { outcome, dispatch: [] };
  }
}

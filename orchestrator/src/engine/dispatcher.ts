import { isRetryableError } from '@wlm/commons/errors';
import type { Logger } from '@wlm/commons/logging';
import type { TaskRequestInput } from '@wlm/commons/wire';
import type { DagStore, ReadyTask, TaskStateChange } from '../domain/dag-store';
import type { AuditEventInput, StateStore, TaskRunUpdate } from '../domain/state-store';
import { dispatchAttempt } from './attempts';
import type { DispatchReason } from './attempts';
import { crashPoint } from './crash-point';
import { GroupCommit } from '@wlm/commons/batching';
import type { ItemOutcome } from '@wlm/commons/batching';
import type { EngineEventEmitter } from './engine-events';
import type { EngineMessaging } from './messaging';
import type { QueuedInDag } from './queued-in-dag';
import { buildTaskRequest } from './task-request-builder';

/** Ready nodes of one experiment run, to be handed to the scheduler. */
export interface DispatchGroup {
  experiment: { id: string; run: number; priority: number };
  tasks: readonly ReadyTask[];
  reason: DispatchReason;
}

/** Dispatched tasks waiting to be recorded; beyond this, dispatching waits for the oldest (backpressure). */
const MAX_RECORDS_WAITING = 5000;
/** Record groups written at once, and the most tasks one holds (see {@link GroupCommit}). */
const RECORD_GROUPS_IN_FLIGHT = 2;
const MAX_RECORD_GROUP = 1000;

/**
 * A node whose request cannot be built or sent for good — its params cannot be rendered, the wire
 * refuses the request: no later try could do better, so it fails and so does its experiment.
 */
export interface UnrunnableTask {
  experimentId: string;
  run: number;
  taskId: string;
  attempt: number;
  reason: string;
}

export interface DispatchResult {
  dispatched: number;
  unrunnable: UnrunnableTask[];
  /**
   * The first retryable failure (the broker unreachable), if any: the requests it stopped were not
   * recorded and their nodes stay as they were, for the caller to dispatch again.
   */
  retryableFailure?: unknown;
}

interface Prepared {
  request: TaskRequestInput;
  run: number;
  reason: DispatchReason;
}

/**
 * Hands ready nodes to the scheduler, for many experiments at once. The requests go out first —
 * this is the latency path from "dependencies done" to "task starts" — and only once the broker has
 * confirmed them are they recorded, in the background: MySQL (task run QUEUED + `task.dispatched`
 * audit) and Neo4j (node QUEUED), in parallel, one transaction each.
 *
 * Nothing is marked QUEUED that the broker did not confirm. A crash after the publish leaves the
 * nodes PENDING, so whatever redoes the work (the unacked event, delivered again; recovery)
 * publishes the same attempt again, which consumers drop as a duplicate (docs/recovery.md).
 */
export class Dispatcher {
  private readonly recording = new Set<Promise<void>>();
  /**
   * Records of the dispatches made while earlier ones are being written go together: two
   * transactions for many dispatches instead of two each, which would otherwise crowd the pools the
   * event path and the submissions need.
   */
  private readonly records: GroupCommit<Prepared, void>;

  constructor(
    private readonly states: Pick<StateStore, 'recordTaskRuns'>,
    private readonly dags: Pick<DagStore, 'setTaskStates'>,
    private readonly messaging: Pick<EngineMessaging, 'publishTaskRequest'>,
    private readonly logger: Logger,
    private readonly events: EngineEventEmitter,
    private readonly queuedInDag: Pick<QueuedInDag, 'remember'>,
  ) {
    this.records = new GroupCommit((group) => this.write(group), {
      groupsInFlight: RECORD_GROUPS_IN_FLIGHT,
      maxGroup: MAX_RECORD_GROUP,
    });
  }

  async dispatch(groups: readonly DispatchGroup[]): Promise<DispatchResult> {
    const now = new Date();
    const prepared: Prepared[] = [];
    const unrunnable: UnrunnableTask[] = [];
    for (const group of groups) {
      for (const task of group.tasks) {
        const attempt = dispatchAttempt(task, group.reason);
        if (attempt === undefined) continue;
        try {
          prepared.push({
            request: buildTaskRequest(task, attempt, group.experiment, now),
            run: task.run,
            reason: group.reason,
          });
        } catch (error) {
          if (isRetryableError(error)) throw error;
          unrunnable.push(unrunnableTask(task, attempt, error));
        }
      }
    }

    const outcomes = await Promise.allSettled(
      prepared.map(({ request }) => this.messaging.publishTaskRequest(request)),
    );
    if (prepared.length > 0) crashPoint('after-publish');
    const published: Prepared[] = [];
    let retryableFailure: unknown;
    prepared.forEach((entry, index) => {
      const outcome = outcomes[index];
      if (outcome?.status === 'fulfilled') published.push(entry);
      else if (isRetryableError(outcome?.reason)) retryableFailure ??= outcome?.reason;
      // The wire (the codec's validation) refused the request: sending it again cannot help.
      else {
        const { experimentId, taskId, attempt } = entry.request;
        unrunnable.push(unrunnableTask({ experimentId, run: entry.run, taskId }, attempt, outcome?.reason));
      }
    });
    if (unrunnable.length > 0) await this.recordUnrunnable(unrunnable);
    if (published.length > 0) {
      this.events.emit(
        'tasks:dispatched',
        published.map(({ request }) => request),
      );
      await this.record(published);
    }
    for (const { request } of published) {
      this.logger.debug(
        { experimentId: request.experimentId, taskId: request.taskId, attempt: request.attempt },
        'task dispatched',
      );
    }
    // Those published get recorded; the rest stay as they were and go out again when the caller retries.
    const result: DispatchResult = { dispatched: published.length, unrunnable };
    if (retryableFailure !== undefined) result.retryableFailure = retryableFailure;
    return result;
  }

  /** Resolves once every record started so far is written (or its failure logged): call before closing the stores. */
  async idle(): Promise<void> {
    await Promise.all([...this.recording]);
  }

  /**
   * Records published attempts — off the latency path: the caller goes on (and acks its events) at
   * once. That is safe because a lost record only means a node still PENDING, which is re-dispatched
   * with the same attempt by whatever redoes the work; the number of records in flight is bounded.
   */
  private async record(published: readonly Prepared[]): Promise<void> {
    while (this.records.size >= MAX_RECORDS_WAITING) await Promise.race(this.recording);
    const write = Promise.all(published.map((entry) => this.records.add(entry))).then(
      () => undefined,
      (error: unknown) =>
        this.logger.warn(
          { err: error, tasks: published.length },
          'recording dispatched tasks failed; they stay PENDING and are dispatched again on recovery',
        ),
    );
    const tracked = write.finally(() => this.recording.delete(tracked));
    this.recording.add(tracked);
  }

  /** One group of records: MySQL (task run QUEUED + `task.dispatched` audit) and Neo4j, in parallel. */
  private async write(group: readonly Prepared[]): Promise<ItemOutcome<void>[]> {
    const changes = group.map(({ request, run }) => queued(request, run));
    await Promise.all([
      this.states.recordTaskRuns({ taskRuns: changes, auditEvents: group.map(dispatchedAudit) }),
      this.dags.setTaskStates(changes).then(() => this.queuedInDag.remember(changes)),
    ]);
    return group.map(() => ({ ok: true, result: undefined }));
  }

  private async recordUnrunnable(tasks: readonly UnrunnableTask[]): Promise<void> {
    await this.states.recordTaskRuns({
      taskRuns: tasks.map((task) => ({
        experimentId: task.experimentId,
        run: task.run,
        taskId: task.taskId,
        attempt: task.attempt,
        state: 'FAILED',
        reason: task.reason,
      })),
      auditEvents: tasks.map((task) => ({
        experimentId: task.experimentId,
        taskId: task.taskId,
        type: 'task.transitioned',
        toState: 'FAILED',
        actor: 'engine',
        reason: task.reason,
        details: { attempt: task.attempt, run: task.run, retryable: false },
        dedupeKey: `task:${task.experimentId}:${task.run}:${task.taskId}:${task.attempt}:FAILED:final`,
      })),
    });
    await this.dags.setTaskStates(
      tasks.map((task) => ({
        experimentId: task.experimentId,
        run: task.run,
        taskId: task.taskId,
        attempt: task.attempt,
        state: 'FAILED',
      })),
    );
  }
}

function unrunnableTask(
  task: Pick<ReadyTask, 'experimentId' | 'run' | 'taskId'>,
  attempt: number,
  error: unknown,
): UnrunnableTask {
  return {
    experimentId: task.experimentId,
    run: task.run,
    taskId: task.taskId,
    attempt,
    reason: error instanceof Error ? error.message : String(error),
  };
}

/** The task QUEUED at `request`'s attempt: its task-run row (MySQL) and its node's state (Neo4j) alike. */
function queued(request: TaskRequestInput, run: number): TaskRunUpdate & TaskStateChange {
  return {
    experimentId: request.experimentId,
    run,
    taskId: request.taskId,
    attempt: request.attempt,
    state: 'QUEUED',
  };
}

function dispatchedAudit({ request, run, reason }: Prepared): AuditEventInput {
  return {
    experimentId: request.experimentId,
    taskId: request.taskId,
    type: 'task.dispatched',
    toState: 'QUEUED',
    actor: 'engine',
    details: { run, attempt: request.attempt, taskType: request.taskType, reason },
    // When it was sent, not when this record (written after the broker's confirm) got in.
    at: new Date(request.requestedAt),
    dedupeKey: `dispatch:${request.experimentId}:${run}:${request.taskId}:${request.attempt}`,
  };
}

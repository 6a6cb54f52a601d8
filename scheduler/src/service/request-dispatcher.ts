import type { EventEmitter } from 'node:events';
import { RecentSet } from '@wlm/commons/collections';
import { cancelApplies } from '@wlm/commons/control';
import { queueDeadline, attemptKey } from '@wlm/commons/wire';
import type { AmqpConnection, WlmTopology } from '@wlm/commons/amqp';
import type { RecentCancels } from '@wlm/commons/control';
import type { Logger } from '@wlm/commons/logging';
import type { CancelTask, TaskRequest } from '@wlm/commons/wire';
import { handedBack, publishFailed, shuttingDown } from '../errors';
import { GreedyPlacement } from '../placement';
import type { CapacityIndex } from '../placement';
import { requestKey } from '../registry';
import type { WorkerRegistry } from '../registry';
import type { AssignmentPublisher } from './assignment-publisher';
import { HeldRequests, compareDue, compareHeld } from './held-requests';
import type { SchedulerMessages } from './scheduler-messages';
import type { SchedulerServiceEvents } from './service-events';
import { TypeConsumers } from './type-consumers';
import type { ServedTypes } from './type-consumers';
import type { TypeWaits } from './type-waits';

/** One request the scheduler holds unacknowledged, with the settlement of its delivery. */
interface Entry {
  readonly key: string;
  readonly request: TaskRequest;
  readonly priority: number;
  readonly seq: number;
  readonly receivedAt: number;
  /** `notBefore` in ms; 0 when the request may be placed at once. */
  readonly dueAt: number;
  /** When its `queueTimeoutMs` runs out (ms), if it has one. */
  readonly deadline: number | undefined;
  /** Acks the delivery. */
  readonly resolve: () => void;
  /** Requeues (retryable error) or dead-letters (anything else) the delivery. */
  readonly reject: (error: unknown) => void;
  /** Whether the wait for capacity was reported (once per request). */
  announced: boolean;
}

/**
 * What the dispatcher uses of the AMQP connection: consuming the type queues, and hearing that the
 * connection (with every held delivery's channel) was lost.
 */
export interface DispatcherConnection extends Pick<AmqpConnection, 'consume'> {
  on(event: 'disconnected', listener: () => void): unknown;
  off(event: 'disconnected', listener: () => void): unknown;
}

/**
 * What the dispatcher uses of the worker registry: the capacity it places on, the membership its
 * consumers follow, and the reservations of what it placed.
 */
export interface DispatcherRegistry extends ServedTypes, Pick<WorkerRegistry, 'reserve' | 'unreserve'> {
  readonly capacity: CapacityIndex;
}

export interface RequestDispatcherOptions {
  readonly amqp: DispatcherConnection;
  readonly topology: Pick<WlmTopology, 'requestQueue'>;
  readonly registry: DispatcherRegistry;
  readonly publisher: Pick<AssignmentPublisher, 'publish'>;
  readonly messages: Pick<SchedulerMessages, 'cancelled' | 'waiting' | 'unschedulable'>;
  readonly cancels: RecentCancels;
  readonly events: EventEmitter<SchedulerServiceEvents>;
  readonly typeWaits: Pick<TypeWaits, 'note'>;
  /** Declares a task type's request queue (the router's, shared). */
  readonly declare: (taskType: string) => Promise<void>;
  readonly logger: Logger;
  /** Requests of one task type held unacknowledged at most (the prefetch of the type's consumer). */
  readonly prefetch: number;
  /** How long, and how many, placed attempts are remembered to acknowledge redeliveries. */
  readonly placedTtlMs: number;
  readonly placedMax: number;
  /** How often a non-empty backlog is logged. */
  readonly backlogLogMs: number;
  /**
   * Longest a request is held before it is handed back to the queue (and so delivered afresh):
   * RabbitMQ closes a channel whose delivery stays unacknowledged past its consumer timeout
   * (30 minutes by default), which would hand back every request of the channel at once.
   */
  readonly maxHoldMs: number;
  readonly now?: () => number;
}

/** What {@link RequestDispatcher.status} reports. */
export interface DispatcherStatus {
  /** Requests waiting for capacity. */
  readonly held: number;
  /** Requests waiting for their `notBefore` (retry backoff). */
  readonly deferred: number;
  /** Placed requests whose publishes are not confirmed yet. */
  readonly sending: number;
  /** How long the longest-waiting held request has waited, in ms (0 when none). */
  readonly oldestWaitMs: number;
  /** Requests placed since start. */
  readonly placed: number;
  /** The task types whose requests this instance takes: those a live worker runs. */
  readonly consumedTypes: readonly string[];
}

/** What became of a request whose queue timeout ran out, as far as this instance knows. */
export type QueueTimeoutOutcome = 'placed' | 'expired' | 'unknown';

/**
 * Consumes the request queues of the task types a live worker runs ({@link TypeConsumers}) and
 * places their requests. A request is acknowledged only once its assignment and QUEUED event are
 * confirmed; until then it is held unacknowledged — which bounds the backlog by the prefetch of
 * each type and means a crash loses nothing (the broker redelivers). Held requests are placed
 * highest priority first, then oldest, whenever capacity may have appeared; requests with a future
 * `notBefore` wait for it first; a request whose `queueTimeoutMs` runs out fails instead.
 */
export class RequestDispatcher {
  private readonly held = new HeldRequests<Entry>((a, b) => compareHeld(a, b));
  private readonly deferred = new HeldRequests<Entry>((a, b) => compareDue(a, b));
  private readonly placed: RecentSet<string>;
  private readonly placement: GreedyPlacement;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly types: TypeConsumers;
  private seq = 0;
  /** Attempts whose assignment is being published, and whether that succeeded. */
  private readonly sending = new Map<string, Promise<boolean>>();
  private placedCount = 0;
  private pumpScheduled = false;
  private dueTimer: NodeJS.Timeout | undefined;
  private backlogTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly onCapacity = (): void => this.schedulePump();
  /**
   * With the connection goes the channel of every held delivery: the broker has requeued them all
   * and will deliver them again, maybe to another instance, so they are not ours to place anymore.
   */
  private readonly onDisconnected = (): void => {
    const stale = [...this.held.clear(), ...this.deferred.clear()];
    for (const entry of stale) entry.reject(handedBack('the AMQP connection was lost'));
    if (stale.length > 0)
      this.log.info({ released: stale.length }, 'held requests released with the lost connection');
  };

  constructor(private readonly options: RequestDispatcherOptions) {
    this.placed = new RecentSet({ capacity: options.placedMax, ttlMs: options.placedTtlMs });
    this.placement = new GreedyPlacement(options.registry.capacity);
    this.log = options.logger.child({ module: 'dispatcher' });
    this.now = options.now ?? Date.now;
    this.types = new TypeConsumers({
      amqp: options.amqp,
      topology: options.topology,
      registry: options.registry,
      logger: options.logger,
      prefetch: options.prefetch,
      declare: options.declare,
      handler: (request) => this.onRequest(request),
      release: (taskType) => this.release(taskType),
    });
  }

  async start(): Promise<void> {
    this.options.registry.on('capacity', this.onCapacity);
    this.options.amqp.on('disconnected', this.onDisconnected);
    this.backlogTimer = setInterval(() => this.housekeeping(), this.options.backlogLogMs);
    this.backlogTimer.unref();
    await this.types.start();
  }

  /**
   * Stops taking requests and hands every held one back to the queue (requeued, for another
   * instance or a restart); resolves when no handler is left running. Idempotent.
   */
  async drain(): Promise<void> {
    this.stopping = true;
    this.options.registry.off('capacity', this.onCapacity);
    this.options.amqp.off('disconnected', this.onDisconnected);
    clearTimeout(this.dueTimer);
    clearInterval(this.backlogTimer);
    const cancelling = this.types.stop();
    const returned = [...this.held.clear(), ...this.deferred.clear()];
    for (const entry of returned) entry.reject(shuttingDown('a held request'));
    if (returned.length > 0)
      this.log.info({ requeued: returned.length }, 'held requests handed back to the queue');
    await cancelling;
  }

  status(): DispatcherStatus {
    const now = this.now();
    let oldest = now;
    for (const entry of this.held.ordered()) oldest = Math.min(oldest, waitingSince(entry));
    return {
      held: this.held.size,
      deferred: this.deferred.size,
      sending: this.sending.size,
      oldestWaitMs: now - oldest,
      placed: this.placedCount,
      consumedTypes: this.types.consumed(),
    };
  }

  /**
   * A queue timeout ran out (its durable timer fired): fails the request if this instance holds it,
   * and says whether this instance placed it recently; `unknown` means neither — it waits in the
   * broker, or another instance has it.
   */
  async queueTimedOut(key: string): Promise<QueueTimeoutOutcome> {
    if (this.placed.has(key, this.now())) return 'placed';
    const sending = this.sending.get(key);
    if (sending !== undefined) return (await sending) ? 'placed' : 'unknown';
    const entry = this.held.remove(key) ?? this.deferred.remove(key);
    if (entry === undefined) return 'unknown';
    await this.expire(entry);
    return 'expired';
  }

  /**
   * Drops the held requests `cancel` names (a CANCELLED event for each) and refuses late ones for a
   * while. A later round of a task that runs in rounds is placed at once instead: the worker that
   * gets it sees the cancel and has the plugin release what the checkpoint holds (a batch job).
   */
  async cancel(cancel: CancelTask): Promise<number> {
    this.options.cancels.remember(cancel, this.now());
    const match = (entry: Entry): boolean => cancelApplies(cancel, entry.request);
    const dropped = [...this.held.removeWhere(match), ...this.deferred.removeWhere(match)];
    const reason = cancel.reason ?? 'cancelled before it reached a worker';
    const releasing = dropped.filter((entry) => entry.request.continuation !== undefined);
    for (const entry of releasing) this.held.add({ ...entry, request: dueNow(entry.request), dueAt: 0 });
    if (releasing.length > 0) this.schedulePump();
    const cancelled = dropped.filter((entry) => entry.request.continuation === undefined);
    await Promise.all(cancelled.map((entry) => this.settleCancelled(entry.request, reason, entry)));
    return dropped.length;
  }

  /** Places what fits soon, once, however many capacity changes arrive meanwhile. */
  schedulePump(): void {
    if (this.pumpScheduled || this.stopping) return;
    this.pumpScheduled = true;
    setImmediate(() => this.pump());
  }

  private onRequest(request: TaskRequest): Promise<void> {
    if (this.stopping) return Promise.reject(shuttingDown('a request'));
    const now = this.now();
    const key = requestKey(request);
    if (this.placed.has(key, now)) {
      this.acknowledgeDuplicate(request, key);
      return Promise.resolve();
    }
    if (this.options.cancels.find(request, now) !== undefined) {
      // A later round holds something outside (a batch job) that only a worker's plugin can release.
      if (request.continuation !== undefined) return this.admit(dueNow(request), key);
      return this.settleCancelled(request, 'cancelled before it reached a worker');
    }
    const sending = this.sending.get(key);
    if (sending !== undefined) {
      // A redelivery of a request whose assignment is being published right now (its first delivery's
      // channel closed meanwhile): wait for the outcome rather than place it a second time.
      return sending.then((placed) =>
        placed ? this.acknowledgeDuplicate(request, key) : this.admit(request, key),
      );
    }
    return this.admit(request, key);
  }

  private acknowledgeDuplicate(request: TaskRequest, key: string): void {
    this.log.info({ key }, 'request for an attempt placed recently acknowledged without placing it again');
    this.options.events.emit('task:duplicate', request);
  }

  /** Holds the request until it is placed (or cancelled, or handed back); the promise settles its delivery. */
  private admit(request: TaskRequest, key: string): Promise<void> {
    if (this.stopping) return Promise.reject(shuttingDown('a request'));
    const now = this.now();
    return new Promise<void>((resolve, reject) => {
      const dueAt = request.notBefore === undefined ? 0 : Date.parse(request.notBefore);
      const entry: Entry = {
        key,
        request,
        priority: request.priority,
        seq: this.seq++,
        receivedAt: now,
        dueAt,
        deadline: queueDeadline(request),
        resolve,
        reject,
        announced: false,
      };
      // The same attempt already held: a duplicate publish, or a redelivery whose first delivery's
      // channel is gone. Keep the newest, acknowledge the other without placing it.
      const superseded = this.held.remove(key) ?? this.deferred.remove(key);
      if (superseded !== undefined) {
        superseded.resolve();
        this.options.events.emit('task:duplicate', superseded.request);
      }
      if (dueAt > now) {
        this.deferred.add(entry);
        this.options.events.emit('task:held', { request, reason: 'not-before' });
        this.armDueTimer();
      } else {
        this.held.add(entry);
        this.schedulePump();
      }
    });
  }

  private pump(): void {
    this.pumpScheduled = false;
    if (this.stopping) return;
    const now = this.now();
    for (const entry of this.held.ordered()) {
      if (entry.deadline !== undefined && entry.deadline <= now) {
        this.held.remove(entry.key);
        void this.expire(entry);
        continue;
      }
      let workerId: string | undefined;
      try {
        workerId = this.placement.place(entry.request, new Set(entry.request.excludeWorkers ?? []))?.workerId;
      } catch (error) {
        // Constraints no worker can ever satisfy (e.g. a malformed version): dead-letter, never hold.
        this.held.remove(entry.key);
        entry.reject(error);
        continue;
      }
      if (workerId === undefined) {
        if (!entry.announced) {
          entry.announced = true;
          this.log.debug({ key: entry.key, taskType: entry.request.taskType }, 'no capacity; request held');
          this.options.events.emit('task:held', { request: entry.request, reason: 'capacity' });
        }
        continue;
      }
      this.held.remove(entry.key);
      this.options.registry.reserve(workerId, attemptKey(entry.request));
      this.send(entry, workerId);
    }
  }

  private send(entry: Entry, workerId: string): void {
    const sending = this.publish(entry, workerId).finally(() => this.sending.delete(entry.key));
    this.sending.set(entry.key, sending);
  }

  /** Publishes the assignment and settles the entry's delivery; resolves with whether it was placed. */
  private async publish(entry: Entry, workerId: string): Promise<boolean> {
    try {
      const placement = await this.options.publisher.publish(entry.request, workerId);
      this.placed.add(entry.key, this.now());
      if (placement.kind === 'duplicate') {
        this.options.registry.unreserve(workerId, attemptKey(entry.request));
        this.acknowledgeDuplicate(entry.request, entry.key);
        entry.resolve();
        return true;
      }
      const { assignment, queuedEventError } = placement;
      if (assignment.workerId !== workerId) {
        // An unconfirmed earlier claim sent it to the worker it named; the slot chosen here stays free.
        this.options.registry.unreserve(workerId, attemptKey(entry.request));
      }
      this.placedCount += 1;
      if (queuedEventError !== undefined) {
        this.log.warn(
          { err: queuedEventError, key: entry.key },
          'QUEUED event not confirmed; the assignment was',
        );
      }
      const waitedMs = this.now() - waitingSince(entry);
      this.log.debug({ key: entry.key, workerId: assignment.workerId, waitedMs }, 'request placed');
      this.options.events.emit('task:placed', {
        request: entry.request,
        workerId: assignment.workerId,
        assignmentId: assignment.assignmentId,
        waitedMs,
      });
      entry.resolve();
      return true;
    } catch (error) {
      this.options.registry.unreserve(workerId, attemptKey(entry.request));
      this.log.warn({ err: error, key: entry.key, workerId }, 'assignment not confirmed; request requeued');
      entry.reject(publishFailed(`assigning ${entry.key} to ${workerId}`, error));
      return false;
    }
  }

  private async settleCancelled(request: TaskRequest, reason: string, entry?: Entry): Promise<void> {
    try {
      await this.options.messages.cancelled(request, reason);
    } catch (error) {
      const retryable = publishFailed(`the CANCELLED event of ${requestKey(request)}`, error);
      if (entry === undefined) throw retryable;
      entry.reject(retryable);
      return;
    }
    this.log.info({ key: requestKey(request) }, 'request cancelled before placement');
    this.options.events.emit('task:cancelled', request);
    entry?.resolve();
  }

  /**
   * Hands back the held requests of a task type whose consumer is stopping (its last worker went):
   * they wait in the broker from now on, and their tasks say so.
   */
  private release(taskType: string): void {
    const ofType = (entry: Entry): boolean => entry.request.taskType === taskType;
    const released = [...this.held.removeWhere(ofType), ...this.deferred.removeWhere(ofType)];
    if (this.stopping) {
      for (const entry of released) entry.reject(shuttingDown('a held request'));
      return;
    }
    for (const entry of released) entry.reject(handedBack(`no live worker runs ${taskType}`));
    if (released.length > 0)
      this.log.info({ taskType, requeued: released.length }, 'held requests handed back');
    const announcing: Promise<void>[] = [this.options.typeWaits.note(taskType)];
    for (const entry of released) {
      if (entry.request.continuation === undefined)
        announcing.push(this.options.messages.waiting(entry.request));
    }
    void Promise.all(announcing).catch((error: unknown) =>
      this.log.warn({ err: error, taskType }, 'cannot announce the wait for a worker'),
    );
  }

  /** Fails a held request whose queue timeout ran out (TASK_UNSCHEDULABLE) and settles its delivery. */
  private async expire(entry: Entry): Promise<void> {
    const { request } = entry;
    const why =
      this.options.registry.capacity.countFor(request.taskType) === 0
        ? `no live worker runs ${request.taskType}`
        : `every worker that runs ${request.taskType} stayed busy, or none meets its constraints`;
    try {
      await this.options.messages.unschedulable(
        { ...request, queueTimeoutMs: request.queueTimeoutMs ?? 0 },
        why,
      );
    } catch (error) {
      entry.reject(publishFailed(`the TASK_UNSCHEDULABLE failure of ${entry.key}`, error));
      return;
    }
    this.log.warn(
      { key: entry.key, taskType: request.taskType },
      'request not placed within its queue timeout',
    );
    this.options.events.emit('task:unschedulable', request);
    entry.resolve();
  }

  private armDueTimer(): void {
    clearTimeout(this.dueTimer);
    const first = this.deferred.first();
    if (first === undefined || this.stopping) return;
    this.dueTimer = setTimeout(() => this.releaseDue(), Math.max(0, first.dueAt - this.now()));
    this.dueTimer.unref();
  }

  private releaseDue(): void {
    const now = this.now();
    for (
      let first = this.deferred.first();
      first !== undefined && first.dueAt <= now;
      first = this.deferred.first()
    ) {
      this.deferred.remove(first.key);
      this.held.add(first);
    }
    this.schedulePump();
    this.armDueTimer();
  }

  /** Hands back requests held too long (see `maxHoldMs`) and logs a non-empty backlog. */
  private housekeeping(): void {
    const now = this.now();
    const expired = this.held.removeWhere((entry) => entry.deadline !== undefined && entry.deadline <= now);
    for (const entry of expired) void this.expire(entry);
    const horizon = now - this.options.maxHoldMs;
    const tooOld = (entry: Entry): boolean => entry.receivedAt < horizon;
    const stale = [...this.held.removeWhere(tooOld), ...this.deferred.removeWhere(tooOld)];
    for (const entry of stale) entry.reject(handedBack('held longer than the delivery timeout allows'));
    if (stale.length > 0)
      this.log.info({ requeued: stale.length }, 'long-held requests handed back for a fresh delivery');
    if (this.held.size === 0) return;
    const byTaskType: Record<string, number> = {};
    for (const entry of this.held.ordered()) {
      byTaskType[entry.request.taskType] = (byTaskType[entry.request.taskType] ?? 0) + 1;
    }
    const { held, deferred, oldestWaitMs } = this.status();
    this.log.warn({ held, deferred, oldestWaitMs, byTaskType }, 'requests waiting for capacity');
  }
}

/** The request without its backoff: placed as soon as capacity allows. */
function dueNow(request: TaskRequest): TaskRequest {
  const copy = { ...request };
  delete copy.notBefore;
  return copy;
}

/** When a request started waiting for capacity: on arrival, or when its backoff ended. */
function waitingSince(entry: Entry): number {
  return Math.max(entry.receivedAt, entry.dueAt);
}

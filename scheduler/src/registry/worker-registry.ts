import { EventEmitter } from 'node:events';
import { incarnationOf } from '@wlm/commons/advertisement';
import type { Logger } from '@wlm/commons/logging';
import type { SerfMember } from '@wlm/commons/serf';
import type { TaskEvent } from '@wlm/commons/wire';
import type { CapacityIndex } from '../placement';
import { LivenessProbe } from './liveness-probe';
import { MemberWarnings } from './member-warnings';
import { MembershipFeed } from './membership-feed';
import type { MembershipSink, Origin } from './membership-feed';
import type { WorkerLossSource, WorkerRegistryEvents } from './registry-events';
import { WorkerCapacity } from './worker-capacity';
import type {
  FailureDetector,
  Known,
  WorkerEntryState,
  WorkerRegistryOptions,
  WorkerStatus,
} from './worker-record';
import { readMember } from './worker-view';
import type { WorkerView } from './worker-view';

/**
 * The live workers, from what the scheduler's Serf agent says ({@link MembershipFeed}). It feeds a
 * {@link CapacityIndex} whose free slots follow the {@link ReservationLedger} rule, and reports
 * joins, failures, departures and recoveries as typed events.
 *
 * A failed worker counts as back only on a `member-join` or a fresh read of the member: Serf
 * coalesces events, so a `member-update` queued before the failure may arrive after the poll saw it
 * fail. A `member-update` showing a failed worker alive asks for that fresh read, since the same
 * coalescing turns a rejoin followed by a tag update (a host whose link came back) into one update.
 *
 * Each process of a worker is a Serf node of its own, named with an incarnation (`workerNodeName`).
 * A newer incarnation is the worker restarted: its predecessor is dead (failed, if it was still
 * alive here) and the new one is the worker back (recovered). Readings of an older incarnation — the
 * dead member a crash left behind, failing or reaped long after — change nothing. A worker's death
 * notice (`wlm-worker-died`, sent by the watchdog of its agent when the process ends) fails it at
 * once, without waiting for Serf's suspicion of a silent member; a host that vanishes is failed
 * once its agent misses the {@link LivenessProbe}'s rounds, also before Serf's suspicion ends.
 */
export class WorkerRegistry extends EventEmitter<WorkerRegistryEvents> {
  /** Free slots of the workers that may be given work, for placement. */
  readonly capacity: CapacityIndex;
  private readonly slots: WorkerCapacity;
  private readonly known = new Map<string, Known>();
  private readonly warnings: MemberWarnings;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly feed: MembershipFeed;
  private readonly probe: LivenessProbe;
  private sweepTimer: NodeJS.Timeout | undefined;
  private initialised = false;
  private closed = false;

  constructor(private readonly options: WorkerRegistryOptions) {
    super();
    this.log = options.logger.child({ module: 'worker-registry' });
    this.warnings = new MemberWarnings(this.log);
    this.now = options.now ?? Date.now;
    this.slots = new WorkerCapacity(options.ledger, this.now, (workerId) => {
      const known = this.known.get(workerId);
      return known?.status === 'alive' && !known.unreachable ? known.worker.advertisement : undefined;
    });
    this.capacity = this.slots.index;
    const sink: MembershipSink = {
      member: (member, origin) => void this.apply(member, origin),
      snapshot: (members, reason) => this.resync(members, reason),
      reaped: (member) => this.reap(member),
      died: (nodeName) => this.onDeathNotice(nodeName),
      knownDead: (nodeName) => {
        const known = this.byMemberName(nodeName);
        return known !== undefined && known.status !== 'alive';
      },
    };
    this.feed = new MembershipFeed(
      { serf: options.serf, logger: this.log, failurePollMs: options.failurePollMs ?? 250 },
      sink,
    );
    this.probe = new LivenessProbe(
      { serf: options.serf, logger: this.log },
      {
        targets: () => this.probeTargets(),
        silent: (nodeName) => this.onSilent(nodeName),
        heard: (nodeName) => this.onHeard(nodeName),
      },
    );
  }

  /** Subscribes to the member events, reads the membership and starts the timers. */
  async start(): Promise<void> {
    await this.feed.start();
    this.initialised = true;
    this.probe.start();
    this.sweepTimer = setInterval(() => this.sweep(), this.options.sweepMs ?? 500);
    this.sweepTimer.unref();
  }

  /** Stops listening. The Serf client stays open: it belongs to the caller. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.probe.close();
    await this.feed.close();
  }

  get(workerId: string): WorkerView | undefined {
    return this.known.get(workerId)?.worker;
  }

  statusOf(workerId: string): WorkerStatus | undefined {
    return this.known.get(workerId)?.status;
  }

  /** Alive workers of this installation. */
  alive(): WorkerView[] {
    return [...this.known.values()].filter((k) => k.status === 'alive').map((k) => k.worker);
  }

  /** Every worker known, whatever its status, with the free slots placement counts (for the worker directory). */
  entries(): WorkerEntryState[] {
    return [...this.known.values()].map((known) => ({
      worker: known.worker,
      status: known.status,
      unreachable: known.unreachable,
      failedAt: known.failedAt === undefined ? null : new Date(known.failedAt),
      freeSlots: this.slots.freeOf(known.worker.advertisement),
    }));
  }

  /** Whether the worker can be given work: alive in Serf and consuming its queue as far as we know. */
  isServing(workerId: string): boolean {
    const known = this.known.get(workerId);
    return known?.status === 'alive' && !known.unreachable;
  }

  /**
   * The broker says nobody consumes the worker's queue although Serf says it is alive (its AMQP
   * connection is gone, or it is shutting down): it gets no new work until {@link markReachable}.
   */
  markUnreachable(workerId: string): void {
    const known = this.known.get(workerId);
    if (known?.status !== 'alive' || known.unreachable) return;
    known.unreachable = true;
    this.slots.withhold(workerId);
    this.log.warn({ workerId }, 'worker queue has no consumer; no new work for it');
    this.emit('worker:unreachable', known.worker);
  }

  /** The worker consumes its queue again. */
  markReachable(workerId: string): void {
    const known = this.known.get(workerId);
    if (known?.status !== 'alive' || !known.unreachable) return;
    known.unreachable = false;
    this.slots.restore(known.worker.advertisement);
    this.log.info({ workerId }, 'worker consumes its queue again');
    this.emit('worker:reachable', known.worker);
    this.emit('capacity');
  }

  /** The worker's free slots as placement sees them. */
  freeSlots(workerId: string): number | undefined {
    return this.capacity.get(workerId)?.freeSlots;
  }

  /** Records an assignment just placed on `workerId` (after the placement reserved its slot in the index). */
  reserve(workerId: string, key: string): void {
    this.slots.placed(workerId, key);
  }

  /** Undoes {@link reserve} when the assignment could not be sent. */
  unreserve(workerId: string, key: string): void {
    if (this.slots.unplaced(workerId, key)) this.emit('capacity');
  }

  /** Accounts for a worker's RUNNING or terminal event. */
  acknowledge(event: TaskEvent): void {
    if (this.slots.acknowledge(event)) this.emit('capacity');
  }

  private resync(members: readonly SerfMember[], reason: 'start' | 'reconnect'): void {
    const seen = new Set<string>();
    for (const member of members) {
      const workerId = this.apply(member, 'snapshot');
      if (workerId !== undefined) seen.add(workerId);
    }
    // Workers the agent no longer lists at all were reaped while we were not listening.
    for (const [workerId, known] of this.known) {
      if (!seen.has(workerId) && known.status !== 'left') this.depart(known);
    }
    this.log.info({ reason, workers: this.alive().length }, 'read the Serf membership');
  }

  /** Applies one member's state; returns its worker id when it is a worker of this installation. */
  private apply(member: SerfMember, origin: Origin): string | undefined {
    if (this.closed) return undefined;
    const reading = readMember(member, this.options.topology);
    this.warnings.note(member.name, reading);
    if (reading.kind !== 'worker') return undefined;
    const { worker } = reading;
    let known = this.known.get(worker.workerId);
    if (known !== undefined) {
      const order =
        incarnationOf(member.name, worker.workerId) - incarnationOf(known.worker.memberName, worker.workerId);
      if (order < 0) return worker.workerId;
      if (order > 0) {
        known = this.supersede(known, worker);
        // A new process is news whichever way it arrives: no stale update can be mistaken for it.
        origin = 'join';
      }
    }
    switch (member.status) {
      case 'alive':
        this.onAlive(worker, known, origin);
        break;
      case 'failed':
        // Gone as it said it would be: its leave intent did not reach our agent first.
        if (isDeparting(worker, known)) this.leave(worker, known);
        else if (known === undefined || known.status === 'alive') this.fail(worker, known);
        break;
      case 'leaving':
      case 'left':
        this.leave(worker, known);
        break;
      default:
        break;
    }
    return worker.workerId;
  }

  /**
   * A newer incarnation of a known worker appeared: the process we knew is dead (a worker restarted
   * under its name). Failed here if it was alive; the record now follows the new node.
   */
  private supersede(known: Known, successor: WorkerView): Known {
    if (known.status === 'alive') {
      this.log.warn({ workerId: known.worker.workerId, member: successor.memberName }, 'worker restarted');
      this.fail(known.worker, known);
    }
    const record = this.known.get(known.worker.workerId) ?? known;
    record.worker = successor;
    record.silent = false;
    return record;
  }

  /**
   * A watchdog says the worker process behind node `nodeName` ended. The watchdog then makes the
   * agent leave, and that leave can be read first (the failure poll may see it `leaving` before the
   * notice arrives): a worker that "left" this way died all the same, and is failed now. A worker
   * that leaves gracefully sends no notice: its agent is gone before its process ends.
   */
  private onDeathNotice(nodeName: string): void {
    const known = this.byMemberName(nodeName);
    if (known === undefined || known.status === 'failed') return;
    this.log.warn({ workerId: known.worker.workerId, member: nodeName }, 'worker process died');
    this.fail(known.worker, known, { diedByNotice: true });
  }

  /** The nodes the probe checks: live workers, and those it found silent, to hear them come back. */
  private probeTargets(): string[] {
    const targets: string[] = [];
    for (const known of this.known.values()) {
      if (known.diedByNotice) continue;
      if (known.status === 'alive' || (known.status === 'failed' && known.silent)) {
        targets.push(known.worker.memberName);
      }
    }
    return targets;
  }

  /**
   * Node `nodeName`'s agent missed the probe's rounds: a live worker there has failed, or left if it
   * announced its departure.
   */
  private onSilent(nodeName: string): void {
    const known = this.byMemberName(nodeName);
    if (known === undefined) return;
    known.silent = true;
    if (known.status !== 'alive') return;
    if (isDeparting(known.worker, known)) this.depart(known);
    else this.fail(known.worker, known, { detector: 'liveness probe' });
  }

  /** The probe hears node `nodeName` again: a fresh read of its member decides whether it is back. */
  private onHeard(nodeName: string): void {
    const known = this.byMemberName(nodeName);
    if (known === undefined) return;
    known.silent = false;
    if (known.status === 'failed') this.feed.reread(nodeName);
  }

  private byMemberName(nodeName: string): Known | undefined {
    return [...this.known.values()].find((k) => k.worker.memberName === nodeName);
  }

  private onAlive(worker: WorkerView, known: Known | undefined, origin: Origin): void {
    if (known !== undefined && known.status !== 'alive') {
      // Its agent still cannot be reached from here, whatever the membership says.
      if (known.silent) return;
      // Only a join or a fresh read proves the worker is back; see the class comment.
      if (origin === 'update' || origin === 'poll') {
        if (known.status === 'failed' && !known.diedByNotice) this.feed.reread(worker.memberName);
        return;
      }
    }
    const now = this.now();
    const ad = worker.advertisement;
    const previous = known?.status;
    const failedAt = known?.failedAt;
    const unreachable = previous === 'alive' && known?.unreachable === true;
    this.known.set(worker.workerId, {
      worker,
      status: 'alive',
      failedAt: undefined,
      diedByNotice: false,
      silent: false,
      unreachable,
    });
    const grew = this.slots.advert(ad, !unreachable);
    if (previous === undefined || previous === 'left') {
      this.log.info({ workerId: worker.workerId, address: worker.address, slots: ad.slots }, 'worker joined');
      this.emit('worker:joined', worker);
    } else if (previous === 'failed') {
      this.log.warn({ workerId: worker.workerId, address: worker.address }, 'worker recovered');
      this.emit('worker:recovered', worker, { failedAt: new Date(failedAt ?? now), at: new Date(now) });
    } else if (!sameAdvertisement(known?.worker, worker)) {
      this.emit('worker:updated', worker);
    }
    if (grew) this.emit('capacity');
  }

  /**
   * Marks a worker failed. `detector` names what found it for the log: the membership (Serf's own
   * failure detection, or a member already failed), the worker's death notice, or the liveness probe.
   */
  private fail(
    worker: WorkerView,
    known: Known | undefined,
    { diedByNotice = false, detector }: { diedByNotice?: boolean; detector?: FailureDetector } = {},
  ): void {
    const now = this.now();
    const source: WorkerLossSource = known === undefined && !this.initialised ? 'startup' : 'serf';
    this.known.set(worker.workerId, {
      worker: known?.worker ?? worker,
      status: 'failed',
      failedAt: now,
      diedByNotice,
      silent: known?.silent ?? false,
      unreachable: false,
    });
    this.slots.forget(worker.workerId);
    this.log.warn(
      {
        workerId: worker.workerId,
        address: worker.address,
        source,
        detector: detector ?? (diedByNotice ? 'death notice' : 'membership'),
      },
      'worker failed',
    );
    this.emit('worker:failed', known?.worker ?? worker, { source, at: new Date(now) });
  }

  /** The worker left: recorded as left when first seen so, a departure when it was alive. */
  private leave(worker: WorkerView, known: Known | undefined): void {
    if (known === undefined)
      this.known.set(worker.workerId, {
        worker,
        status: 'left',
        failedAt: undefined,
        diedByNotice: false,
        silent: false,
        unreachable: false,
      });
    else if (known.status === 'alive') this.depart(known);
  }

  private depart(known: Known): void {
    const { worker } = known;
    const wasAlive = known.status === 'alive';
    known.status = 'left';
    known.failedAt = undefined;
    known.unreachable = false;
    this.slots.forget(worker.workerId);
    if (!wasAlive) return;
    this.log.info({ workerId: worker.workerId }, 'worker left');
    this.emit('worker:left', worker);
  }

  /** A reaped member is gone for good; a failed one that never came back is dealt with already. */
  private reap(member: SerfMember): void {
    const reading = readMember(member, this.options.topology);
    if (reading.kind !== 'worker') return;
    const known = this.known.get(reading.worker.workerId);
    if (known === undefined) return;
    if (known.status === 'alive') this.depart(known);
    this.known.delete(reading.worker.workerId);
  }

  private sweep(): void {
    if (this.slots.sweep()) this.emit('capacity');
  }
}

/** Whether the worker announced its departure, in this reading or the last one we kept. */
function isDeparting(worker: WorkerView, known: Known | undefined): boolean {
  return worker.advertisement.departing === true || known?.worker.advertisement.departing === true;
}

function sameAdvertisement(a: WorkerView | undefined, b: WorkerView): boolean {
  return a !== undefined && JSON.stringify(a.advertisement) === JSON.stringify(b.advertisement);
}

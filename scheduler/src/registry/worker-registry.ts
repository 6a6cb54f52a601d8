import { EventEmitter } from 'node:events';
import { ADVERTISEMENT_TAGS, attemptKey } from '@wlm/commons';
import type {
  Logger,
  SerfEventStream,
  SerfMember,
  SerfRpcClient,
  TaskEvent,
  WlmTopology,
} from '@wlm/commons';
import { CapacityIndex } from '../placement';
import { ReservationLedger } from './reservation-ledger';
import type { ReservationLedgerOptions } from './reservation-ledger';
import type { WorkerLossSource, WorkerRegistryEvents } from './registry-events';
import { readMember } from './worker-view';
import type { WorkerView } from './worker-view';

export type WorkerStatus = 'alive' | 'failed' | 'left';

/** A worker as {@link WorkerRegistry.entries} lists it. */
export interface WorkerEntryState {
  readonly worker: WorkerView;
  readonly status: WorkerStatus;
  readonly unreachable: boolean;
  readonly failedAt: Date | null;
  /** Its free slots as placement counts them: its advert less the placements it has not advertised yet. */
  readonly freeSlots: number;
}

export interface WorkerRegistryOptions {
  /** A connected client of the scheduler's own Serf agent; the registry does not close it. */
  readonly serf: SerfRpcClient;
  /** Only workers of this installation (queue `topology.workerQueue(id)`) are admitted. */
  readonly topology: WlmTopology;
  readonly logger: Logger;
  readonly ledger?: ReservationLedgerOptions;
  /**
   * How often to ask the agent for failed and departed workers, in ms; 0 turns it off. The agent's
   * `members` shows a failure about a second before its event stream does (NOTES.md), and that
   * second is most of the scheduler's budget for moving a dead worker's work.
   */
  readonly failurePollMs?: number;
  /** How often time-based reservation changes reach the capacity index, in ms. */
  readonly sweepMs?: number;
  readonly now?: () => number;
}

interface Known {
  worker: WorkerView;
  status: WorkerStatus;
  failedAt: number | undefined;
  /** Alive in Serf, but the broker says nobody consumes its queue: it gets no work meanwhile. */
  unreachable: boolean;
}

/** How a member reading reached the registry; only some may bring a failed worker back. */
type Origin = 'snapshot' | 'join' | 'update' | 'poll';

/**
 * The live workers, from the scheduler's Serf agent: an initial `members`, then the member event
 * stream, a re-read after every reconnect (events missed while disconnected are lost), and a poll for
 * failures. It feeds a {@link CapacityIndex} whose free slots follow the {@link ReservationLedger}
 * rule, and reports joins, failures, departures and recoveries as typed events.
 *
 * A failed worker counts as back only on a `member-join` or a fresh `members` read: Serf coalesces
 * events, so a `member-update` queued before the failure may arrive after the poll saw it fail.
 */
export class WorkerRegistry extends EventEmitter<WorkerRegistryEvents> {
  readonly capacity = new CapacityIndex();
  private readonly ledger: ReservationLedger;
  private readonly known = new Map<string, Known>();
  /** Members already warned about, so a bad advert is logged once per change, not on every event. */
  private readonly warned = new Map<string, string>();
  private readonly log: Logger;
  private readonly now: () => number;
  private stream: SerfEventStream | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private initialised = false;
  private closed = false;
  private readonly onReconnected = (): void => void this.resync('reconnect');

  constructor(private readonly options: WorkerRegistryOptions) {
    super();
    this.ledger = new ReservationLedger(options.ledger);
    this.log = options.logger.child({ module: 'worker-registry' });
    this.now = options.now ?? Date.now;
  }

  /** Subscribes to the member events, reads the membership and starts the timers. */
  async start(): Promise<void> {
    const { serf } = this.options;
    // Subscribe before reading, so nothing that happens in between is missed.
    this.stream = await serf.stream([
      'member-join',
      'member-leave',
      'member-failed',
      'member-update',
      'member-reap',
    ]);
    this.stream.on('event', (event) => {
      if (event.type === 'user') return;
      const origin: Origin = event.type === 'member-join' ? 'join' : 'update';
      for (const member of event.members) {
        if (event.type === 'member-reap') this.reap(member);
        else this.apply(member, origin);
      }
    });
    serf.on('reconnected', this.onReconnected);
    await this.resync('start');
    this.initialised = true;
    const pollMs = this.options.failurePollMs ?? 1_000;
    if (pollMs > 0) {
      this.pollTimer = setInterval(() => void this.pollFailures(), pollMs);
      this.pollTimer.unref();
    }
    this.sweepTimer = setInterval(() => this.sweep(), this.options.sweepMs ?? 500);
    this.sweepTimer.unref();
  }

  /** Stops listening. The Serf client stays open: it belongs to the caller. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pollTimer);
    clearInterval(this.sweepTimer);
    this.options.serf.off('reconnected', this.onReconnected);
    await this.stream
      ?.stop()
      .catch((error: unknown) => this.log.debug({ err: error }, 'serf stream stop failed'));
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
    const now = this.now();
    return [...this.known.values()].map((known) => ({
      worker: known.worker,
      status: known.status,
      unreachable: known.unreachable,
      failedAt: known.failedAt === undefined ? null : new Date(known.failedAt),
      freeSlots: this.ledger.free(known.worker.workerId, now) ?? known.worker.advertisement.freeSlots,
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
    this.capacity.remove(workerId);
    this.log.warn({ workerId }, 'worker queue has no consumer; no new work for it');
    this.emit('worker:unreachable', known.worker);
  }

  /** The worker consumes its queue again. */
  markReachable(workerId: string): void {
    const known = this.known.get(workerId);
    if (known?.status !== 'alive' || !known.unreachable) return;
    known.unreachable = false;
    const ad = known.worker.advertisement;
    this.capacity.upsert({ ...ad, freeSlots: this.ledger.free(workerId, this.now()) ?? ad.freeSlots });
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
    this.ledger.placed(workerId, key, this.now());
    this.sync(workerId);
  }

  /** Undoes {@link reserve} when the assignment could not be sent. */
  unreserve(workerId: string, key: string): void {
    this.ledger.unplaced(workerId, key);
    if (this.sync(workerId)) this.emit('capacity');
  }

  /** Accounts for a worker's RUNNING or terminal event. */
  acknowledge(event: TaskEvent): void {
    if (event.state === 'WAITING' || event.workerId === undefined) return;
    const key = attemptKey(event);
    if (event.state === 'RUNNING') this.ledger.started(event.workerId, key, this.now());
    else if (
      event.state === 'COMPLETED' ||
      event.state === 'FAILED' ||
      event.state === 'CANCELLED' ||
      event.state === 'DEFERRED'
    )
      this.ledger.finished(event.workerId, key, this.now());
    else return;
    if (this.sync(event.workerId)) this.emit('capacity');
  }

  private async resync(reason: 'start' | 'reconnect'): Promise<void> {
    let members: SerfMember[];
    try {
      members = await this.options.serf.members();
    } catch (error) {
      if (reason === 'start') throw error;
      this.log.warn({ err: error }, 'cannot re-read the Serf membership after reconnecting');
      return;
    }
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

  private async pollFailures(): Promise<void> {
    if (this.closed) return;
    try {
      const members = await this.options.serf.membersFiltered({
        status: 'failed|left|leaving',
        tags: { [ADVERTISEMENT_TAGS.role]: 'worker' },
      });
      for (const member of members) this.apply(member, 'poll');
    } catch (error) {
      this.log.debug({ err: error }, 'failure poll failed; the event stream still reports failures');
    }
  }

  /** Applies one member's state; returns its worker id when it is a worker of this installation. */
  private apply(member: SerfMember, origin: Origin): string | undefined {
    if (this.closed) return undefined;
    const reading = readMember(member, this.options.topology);
    if (reading.kind !== 'worker') {
      this.warnOnce(member, reading);
      return undefined;
    }
    this.warned.delete(member.name);
    const { worker } = reading;
    const known = this.known.get(worker.workerId);
    switch (member.status) {
      case 'alive':
        this.onAlive(worker, known, origin);
        break;
      case 'failed':
        if (known === undefined || known.status === 'alive') this.fail(worker, known);
        break;
      case 'leaving':
      case 'left':
        if (known === undefined)
          this.known.set(worker.workerId, {
            worker,
            status: 'left',
            failedAt: undefined,
            unreachable: false,
          });
        else if (known.status === 'alive') this.depart(known);
        break;
      default:
        break;
    }
    return worker.workerId;
  }

  private onAlive(worker: WorkerView, known: Known | undefined, origin: Origin): void {
    if (known !== undefined && known.status !== 'alive') {
      // Only a join or a fresh read proves the worker is back; see the class comment.
      if (origin === 'update' || origin === 'poll') return;
    }
    const now = this.now();
    const ad = worker.advertisement;
    this.ledger.advert(worker.workerId, ad.freeSlots, ad.slots, now);
    const previous = known?.status;
    const failedAt = known?.failedAt;
    const unreachable = previous === 'alive' && known?.unreachable === true;
    this.known.set(worker.workerId, { worker, status: 'alive', failedAt: undefined, unreachable });
    const before = this.capacity.get(worker.workerId)?.freeSlots;
    if (!unreachable) {
      this.capacity.upsert({ ...ad, freeSlots: this.ledger.free(worker.workerId, now) ?? ad.freeSlots });
    }
    const after = this.capacity.get(worker.workerId)?.freeSlots ?? 0;
    if (previous === undefined || previous === 'left') {
      this.log.info({ workerId: worker.workerId, address: worker.address, slots: ad.slots }, 'worker joined');
      this.emit('worker:joined', worker);
    } else if (previous === 'failed') {
      this.log.warn({ workerId: worker.workerId, address: worker.address }, 'worker recovered');
      this.emit('worker:recovered', worker, { failedAt: new Date(failedAt ?? now), at: new Date(now) });
    } else if (!sameAdvertisement(known?.worker, worker)) {
      this.emit('worker:updated', worker);
    }
    if (!unreachable && (before === undefined || after > before)) this.emit('capacity');
  }

  private fail(worker: WorkerView, known: Known | undefined): void {
    const now = this.now();
    const source: WorkerLossSource = known === undefined && !this.initialised ? 'startup' : 'serf';
    this.known.set(worker.workerId, {
      worker: known?.worker ?? worker,
      status: 'failed',
      failedAt: now,
      unreachable: false,
    });
    this.capacity.remove(worker.workerId);
    this.ledger.forget(worker.workerId);
    this.log.warn({ workerId: worker.workerId, address: worker.address, source }, 'worker failed');
    this.emit('worker:failed', known?.worker ?? worker, { source, at: new Date(now) });
  }

  private depart(known: Known): void {
    const { worker } = known;
    const wasAlive = known.status === 'alive';
    known.status = 'left';
    known.failedAt = undefined;
    known.unreachable = false;
    this.capacity.remove(worker.workerId);
    this.ledger.forget(worker.workerId);
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

  /** Brings the index in line with the ledger; returns whether the worker's free slots grew. */
  private sync(workerId: string): boolean {
    const known = this.known.get(workerId);
    if (known?.status !== 'alive' || known.unreachable) return false;
    const free = this.ledger.free(workerId, this.now());
    const before = this.capacity.get(workerId)?.freeSlots;
    if (free === undefined || free === before) return false;
    this.capacity.upsert({ ...known.worker.advertisement, freeSlots: free });
    return before === undefined || free > before;
  }

  private sweep(): void {
    let grew = false;
    for (const workerId of [...this.ledger.active()]) grew = this.sync(workerId) || grew;
    if (grew) this.emit('capacity');
  }

  private warnOnce(
    member: SerfMember,
    reading: Exclude<ReturnType<typeof readMember>, { kind: 'worker' }>,
  ): void {
    if (reading.kind === 'other') return;
    const signature =
      reading.kind === 'foreign' ? `foreign:${reading.queue}` : `invalid:${String(reading.error)}`;
    if (this.warned.get(member.name) === signature) return;
    this.warned.set(member.name, signature);
    if (reading.kind === 'foreign') {
      this.log.debug({ member: member.name, queue: reading.queue }, 'ignoring a worker of another namespace');
    } else {
      this.log.warn(
        { member: member.name, err: reading.error },
        'ignoring a member with an invalid worker advertisement',
      );
    }
  }
}

function sameAdvertisement(a: WorkerView | undefined, b: WorkerView): boolean {
  return a !== undefined && JSON.stringify(a.advertisement) === JSON.stringify(b.advertisement);
}

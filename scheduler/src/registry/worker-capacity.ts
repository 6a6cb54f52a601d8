import { attemptKey } from '@wlm/commons/wire';
import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import type { TaskEvent } from '@wlm/commons/wire';
import { CapacityIndex } from '../placement';
import { ReservationLedger } from './reservation-ledger';
import type { ReservationLedgerOptions } from './reservation-ledger';

/**
 * Free slots as placement counts them: each worker's latest advert less the placements it cannot
 * have advertised yet ({@link ReservationLedger}), kept in the {@link CapacityIndex} placement reads
 * for the workers that may be given work. The {@link WorkerRegistry} decides which those are.
 */
export class WorkerCapacity {
  readonly index = new CapacityIndex();
  private readonly ledger: ReservationLedger;

  /**
   * @param placeable the advert of a worker that may be given work now; `undefined` for one that
   *   may not (failed, departed, unreachable), which stays out of the index.
   */
  constructor(
    options: ReservationLedgerOptions | undefined,
    private readonly now: () => number,
    private readonly placeable: (workerId: string) => WorkerAdvertisement | undefined,
  ) {
    this.ledger = new ReservationLedger(options);
  }

  /** A worker's free slots as placement counts them, whether it may be given work or not. */
  freeOf(advertisement: WorkerAdvertisement): number {
    return this.ledger.free(advertisement.workerId, this.now()) ?? advertisement.freeSlots;
  }

  /**
   * Takes a worker's new advert; into the index when the worker may be given work. Returns whether
   * its free slots there grew.
   */
  advert(advertisement: WorkerAdvertisement, placeable: boolean): boolean {
    const { workerId } = advertisement;
    this.ledger.advert(workerId, advertisement.freeSlots, advertisement.slots, this.now());
    if (!placeable) return false;
    const before = this.index.get(workerId)?.freeSlots;
    this.index.upsert({ ...advertisement, freeSlots: this.freeOf(advertisement) });
    const after = this.index.get(workerId)?.freeSlots ?? 0;
    return before === undefined || after > before;
  }

  /** The worker gets no work for now; what the ledger knows of it stays. */
  withhold(workerId: string): void {
    this.index.remove(workerId);
  }

  /** The worker may be given work again. */
  restore(advertisement: WorkerAdvertisement): void {
    this.index.upsert({ ...advertisement, freeSlots: this.freeOf(advertisement) });
  }

  /** The worker is gone: out of the index and the ledger. */
  forget(workerId: string): void {
    this.index.remove(workerId);
    this.ledger.forget(workerId);
  }

  /** An assignment just placed on `workerId` (after placement reserved its slot in the index). */
  placed(workerId: string, key: string): void {
    this.ledger.placed(workerId, key, this.now());
    this.sync(workerId);
  }

  /** Undoes {@link placed} when the assignment could not be sent; returns whether free slots grew. */
  unplaced(workerId: string, key: string): boolean {
    this.ledger.unplaced(workerId, key);
    return this.sync(workerId);
  }

  /** Accounts for a worker's RUNNING or terminal event; returns whether its free slots grew. */
  acknowledge(event: TaskEvent): boolean {
    if (event.state === 'WAITING' || event.workerId === undefined) return false;
    const key = attemptKey(event);
    if (event.state === 'RUNNING') this.ledger.started(event.workerId, key, this.now());
    else if (
      event.state === 'COMPLETED' ||
      event.state === 'FAILED' ||
      event.state === 'CANCELLED' ||
      event.state === 'DEFERRED'
    )
      this.ledger.finished(event.workerId, key, this.now());
    else return false;
    return this.sync(event.workerId);
  }

  /** Applies the ledger's time-based changes; returns whether any worker's free slots grew. */
  sweep(): boolean {
    let grew = false;
    for (const workerId of [...this.ledger.active()]) grew = this.sync(workerId) || grew;
    return grew;
  }

  /** Brings the index in line with the ledger; returns whether the worker's free slots grew. */
  private sync(workerId: string): boolean {
    const advertisement = this.placeable(workerId);
    if (advertisement === undefined) return false;
    const free = this.ledger.free(workerId, this.now());
    const before = this.index.get(workerId)?.freeSlots;
    if (free === undefined || free === before) return false;
    this.index.upsert({ ...advertisement, freeSlots: free });
    return before === undefined || free > before;
  }
}

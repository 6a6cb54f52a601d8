/**
 * How long, by default, a worker takes to show a change of its free slots in an advert we receive:
 * its `tags` RPC (~0.2 s), then Serf's gossip and event coalescing (~1 s), as measured.
 */
const DEFAULT_SETTLE_MS = 1_500;
/**
 * How long after placement an advert is trusted to include an assignment whose RUNNING we never saw:
 * the settle time, plus half a second for the worker to take the assignment from its queue. Not a
 * rare case: a run shorter than the worker's RUNNING delay sends none, so beside a sibling instance
 * that consumes half the terminal events, half of the short placements hold their slot this long.
 */
const DEFAULT_UNSEEN_MS = DEFAULT_SETTLE_MS + 500;
/** After this long the latest advert is trusted whatever arrived, so a lost event cannot pin a slot forever. */
const DEFAULT_MAX_AGE_MS = 30_000;

export interface ReservationLedgerOptions {
  settleMs?: number;
  unseenMs?: number;
  maxAgeMs?: number;
}

interface Reservation {
  readonly placedAt: number;
  /** When this instance saw the worker's RUNNING event for it. */
  startedAt: number | undefined;
}

interface WorkerBook {
  advertised: number;
  slots: number;
  /** When the latest advert was received. */
  advertAt: number;
  /** Assignments placed by this instance that the latest advert may not include yet, by task key. */
  readonly reservations: Map<string, Reservation>;
  /** When slots were freed (terminal events) that the latest advert may still show as busy. */
  freed: number[];
}

/**
 * Free-slot accounting between adverts — the rule:
 *
 * `free = advertised freeSlots − reservations + credits`, clamped to `0…slots`, where
 * - a **reservation** is an assignment this instance placed that the latest advert cannot be assumed
 *   to include yet. It ends `settleMs` after the worker's RUNNING for it (the worker re-advertises
 *   when it starts a task, and that takes up to `settleMs` to reach us), or, when this instance never
 *   saw the RUNNING (a sibling scheduler consumed it), `unseenMs` after placement: by then the
 *   latest advert includes the task, or the worker had no change to advertise (the task started and
 *   ended between two adverts) and the latest advert is right as it is. A terminal event ends it too.
 * - a **credit** is a slot a terminal event freed that the latest advert may count busy: the task
 *   was not reserved here (placed by a sibling, or its reservation already ended), or an advert
 *   arrived after the worker took it. It ends with the first advert received `settleMs` after the
 *   terminal event, which shows the slot free by itself.
 * Anything older than `maxAgeMs` ends regardless, so a lost event costs capacity for a bounded time.
 *
 * The errors this leaves are short-lived (at most `settleMs`/`unseenMs`) and mostly conservative
 * (counting a slot busy twice); an over-estimate only queues an assignment in the worker's own
 * queue until a slot frees, it never loses one. Pure: every method takes the time as `now`.
 */
export class ReservationLedger {
  private readonly books = new Map<string, WorkerBook>();
  private readonly settleMs: number;
  private readonly unseenMs: number;
  private readonly maxAgeMs: number;

  constructor(options: ReservationLedgerOptions = {}) {
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.unseenMs = options.unseenMs ?? DEFAULT_UNSEEN_MS;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  }

  /** Workers with reservations or credits outstanding: the ones whose free slots may change with time. */
  *active(): IterableIterator<string> {
    for (const [workerId, book] of this.books) {
      if (book.reservations.size > 0 || book.freed.length > 0) yield workerId;
    }
  }

  /** Records a worker's advert; it absorbs what it is known to include. */
  advert(workerId: string, freeSlots: number, slots: number, now: number): void {
    const book = this.books.get(workerId);
    if (book === undefined) {
      this.books.set(workerId, {
        advertised: freeSlots,
        slots,
        advertAt: now,
        reservations: new Map(),
        freed: [],
      });
      return;
    }
    book.advertised = freeSlots;
    book.slots = slots;
    book.advertAt = now;
  }

  /** An assignment of `key` was placed on the worker. */
  placed(workerId: string, key: string, now: number): void {
    this.books.get(workerId)?.reservations.set(key, { placedAt: now, startedAt: undefined });
  }

  /** The assignment could not be sent after all: forget its reservation. */
  unplaced(workerId: string, key: string): void {
    this.books.get(workerId)?.reservations.delete(key);
  }

  /** The worker reported RUNNING for `key`. */
  started(workerId: string, key: string, now: number): void {
    const reservation = this.books.get(workerId)?.reservations.get(key);
    if (reservation !== undefined && reservation.startedAt === undefined) reservation.startedAt = now;
  }

  /** The worker reported a terminal state for `key`: its slot is free. */
  finished(workerId: string, key: string, now: number): void {
    const book = this.books.get(workerId);
    if (book === undefined) return;
    this.expire(book, now);
    const reservation = book.reservations.get(key);
    book.reservations.delete(key);
    // An advert received since the worker took the task may already count it busy: then the freed
    // slot is a credit too. (If that advert predates the start after all, the credit over-counts
    // one slot for at most `settleMs`; waiting for the next advert instead would cost every task on
    // a saturated worker a gossip round trip.)
    if (reservation === undefined || book.advertAt > (reservation.startedAt ?? reservation.placedAt)) {
      book.freed.push(now);
    }
  }

  /** Forgets a worker that left or failed. */
  forget(workerId: string): void {
    this.books.delete(workerId);
  }

  /** The worker's free slots now, or undefined for a worker without an advert. */
  free(workerId: string, now: number): number | undefined {
    const book = this.books.get(workerId);
    if (book === undefined) return undefined;
    this.expire(book, now);
    const free = book.advertised - book.reservations.size + book.freed.length;
    return Math.max(0, Math.min(book.slots, free));
  }

  /** Reservations still counted against the worker (for status and tests). */
  reservedOn(workerId: string, now: number): number {
    const book = this.books.get(workerId);
    if (book === undefined) return 0;
    this.expire(book, now);
    return book.reservations.size;
  }

  private expire(book: WorkerBook, now: number): void {
    for (const [key, reservation] of book.reservations) {
      const since = reservation.startedAt ?? reservation.placedAt;
      const absorbedAfter = reservation.startedAt === undefined ? this.unseenMs : this.settleMs;
      // Time alone ends it, not the arrival of a later advert: a worker advertises only when its
      // free slots change, so an idle one whose RUNNING and terminal events a sibling instance
      // consumed sends nothing more, and waiting for an advert held its slots for maxAgeMs while
      // requests waited (scripts/test/integration/e2e-mock-orchestrator.test.ts).
      if (now >= since + Math.min(absorbedAfter, this.maxAgeMs)) book.reservations.delete(key);
    }
    if (book.freed.length > 0) {
      book.freed = book.freed.filter(
        (freedAt) => book.advertAt < freedAt + this.settleMs && now < freedAt + this.maxAgeMs,
      );
    }
  }
}

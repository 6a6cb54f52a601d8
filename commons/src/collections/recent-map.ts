/** How long and how many entries a {@link RecentMap} or {@link RecentSet} keeps. */
export interface RecencyBounds {
  /** At most this many entries; adding one more forgets the oldest. At least 1. */
  readonly capacity: number;
  /** An entry is forgotten this long after it was last set; without it, only capacity forgets. */
  readonly ttlMs?: number;
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
}

/**
 * A map that remembers what was set recently and forgets the rest, bounded in size and optionally
 * in time: for "seen recently" memories (cancels, placed attempts, finished assignments) and caches
 * that must not grow for as long as a process lives. Setting a key again refreshes it: it becomes the
 * youngest entry with a new expiry. Reading does not refresh. Callers may pass the time, so the
 * logic can be tested without a clock.
 *
 * @example
 * ```ts
 * const seen = new RecentMap<string, number>({ capacity: 10_000, ttlMs: 60_000 });
 * seen.set('a', 1);
 * seen.get('a'); // 1, until a minute passes or 10,000 younger keys are set
 * ```
 */
export class RecentMap<K, V> {
  /** A Map iterates in insertion order; every set re-inserts, so the oldest entry comes first. */
  private readonly entries = new Map<K, Entry<V>>();
  private readonly capacity: number;
  private readonly ttlMs: number;

  constructor(bounds: RecencyBounds) {
    if (!(bounds.capacity >= 1)) throw new RangeError('capacity must be at least 1');
    this.capacity = bounds.capacity;
    this.ttlMs = bounds.ttlMs ?? Number.POSITIVE_INFINITY;
  }

  /** Entries held, counting expired ones not yet dropped (each set drops those). */
  get size(): number {
    return this.entries.size;
  }

  /** Sets `key`, making it the youngest entry, and forgets what expired or no longer fits. */
  set(key: K, value: V, now = Date.now()): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    this.prune(now);
  }

  /** The value of `key` unless it was forgotten or has expired. */
  get(key: K, now = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > now) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  has(key: K, now = Date.now()): boolean {
    return this.get(key, now) !== undefined;
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  private prune(now: number): void {
    // Every entry gets the same TTL, so insertion order is expiry order: stop at the first entry that
    // is both live and within capacity.
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now && this.entries.size <= this.capacity) return;
      this.entries.delete(key);
    }
  }
}

/**
 * A {@link RecentMap} of keys alone: "was this seen recently?", bounded in size and optionally time.
 *
 * @example
 * ```ts
 * const finished = new RecentSet<string>({ capacity: 10_000 });
 * finished.add(assignmentId);
 * finished.has(assignmentId); // true until 10,000 younger ids are added
 * ```
 */
export class RecentSet<K> {
  private readonly keys: RecentMap<K, true>;

  constructor(bounds: RecencyBounds) {
    this.keys = new RecentMap(bounds);
  }

  get size(): number {
    return this.keys.size;
  }

  /** Adds `key`, or refreshes it if present: it becomes the youngest and its TTL starts again. */
  add(key: K, now = Date.now()): void {
    this.keys.set(key, true, now);
  }

  has(key: K, now = Date.now()): boolean {
    return this.keys.has(key, now);
  }

  /** Forgets `key`; whether it was held (and not expired). */
  delete(key: K, now = Date.now()): boolean {
    const held = this.keys.has(key, now);
    this.keys.delete(key);
    return held;
  }
}

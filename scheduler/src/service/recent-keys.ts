/**
 * A set of keys that forgets them after `ttlMs`, holding at most `maxSize` (the oldest go first):
 * "placed recently" and "cancelled recently" without unbounded memory. Pure: callers pass the time.
 */
export class RecentKeys {
  /** Key → when it expires; a Map iterates in insertion order, which is expiry order here. */
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxSize: number,
  ) {
    if (maxSize < 1) throw new RangeError('maxSize must be at least 1');
  }

  get size(): number {
    return this.expiries.size;
  }

  add(key: string, now: number): void {
    // Re-inserting moves the key to the end, keeping the map in expiry order.
    this.expiries.delete(key);
    this.expiries.set(key, now + this.ttlMs);
    this.prune(now);
    while (this.expiries.size > this.maxSize) {
      const oldest = this.expiries.keys().next();
      if (oldest.done === true) break;
      this.expiries.delete(oldest.value);
    }
  }

  has(key: string, now: number): boolean {
    const expiry = this.expiries.get(key);
    if (expiry === undefined) return false;
    if (expiry > now) return true;
    this.expiries.delete(key);
    return false;
  }

  delete(key: string): void {
    this.expiries.delete(key);
  }

  private prune(now: number): void {
    for (const [key, expiry] of this.expiries) {
      if (expiry > now) return;
      this.expiries.delete(key);
    }
  }
}

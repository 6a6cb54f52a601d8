/** One request held by the scheduler, in the order held requests are placed. */
export interface HeldOrder {
  /** Higher first. */
  readonly priority: number;
  /** Arrival order at this scheduler; lower (older) first within a priority. */
  readonly seq: number;
}

/** Negative when `a` goes before `b`: higher priority first, then older. */
export function compareHeld(a: HeldOrder, b: HeldOrder): number {
  return b.priority - a.priority || a.seq - b.seq;
}

/** One request waiting for its `notBefore`. */
export interface DueOrder {
  /** Milliseconds since the epoch. */
  readonly dueAt: number;
  readonly seq: number;
}

/** Negative when `a` is due before `b` (then older first). */
export function compareDue(a: DueOrder, b: DueOrder): number {
  return a.dueAt - b.dueAt || a.seq - b.seq;
}

/**
 * Held requests kept sorted by `compare` (e.g. {@link compareHeld}: highest priority, then oldest,
 * first) and findable by task key. At most the request consumer's prefetch are held, so a sorted
 * array with binary-search insertion (O(n) pointer moves) beats a heap, which would need sorting for
 * every in-order walk.
 */
export class HeldRequests<T extends { readonly key: string }> {
  private readonly items: T[] = [];
  private readonly byKey = new Map<string, T>();

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  get(key: string): T | undefined {
    return this.byKey.get(key);
  }

  /** Adds `item`; an item with the same key is replaced and returned. */
  add(item: T): T | undefined {
    const replaced = this.remove(item.key);
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.compare(this.items[middle] as T, item) <= 0) low = middle + 1;
      else high = middle;
    }
    this.items.splice(low, 0, item);
    this.byKey.set(item.key, item);
    return replaced;
  }

  remove(key: string): T | undefined {
    const item = this.byKey.get(key);
    if (item === undefined) return undefined;
    this.byKey.delete(key);
    this.items.splice(this.items.indexOf(item), 1);
    return item;
  }

  /** The first item in order, if any. */
  first(): T | undefined {
    return this.items[0];
  }

  /** A snapshot in order, so the caller may remove items while walking it. */
  ordered(): readonly T[] {
    return [...this.items];
  }

  /** Removes and returns every item `match` selects. */
  removeWhere(match: (item: T) => boolean): T[] {
    const removed = this.items.filter(match);
    for (const item of removed) this.remove(item.key);
    return removed;
  }

  /** Removes and returns everything. */
  clear(): T[] {
    const all = [...this.items];
    this.items.length = 0;
    this.byKey.clear();
    return all;
  }
}

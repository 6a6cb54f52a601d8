/** Where one item is filed in a {@link SlotBuckets}; the caller keeps it to move or remove the item. */
export interface SlotNode<T> {
  readonly item: T;
  /** The buckets the node belongs to. */
  readonly owner: SlotBuckets<T>;
  /** @internal */ bucket: Bucket<T> | undefined;
  /** @internal */ previous: SlotNode<T> | undefined;
  /** @internal */ next: SlotNode<T> | undefined;
}

/** The items with one free-slot count, as a doubly linked list in filing order. */
interface Bucket<T> {
  readonly freeSlots: number;
  first: SlotNode<T> | undefined;
  last: SlotNode<T> | undefined;
  size: number;
}

/**
 * The workers of one task type grouped by free slots: most free slots first and, within a group, in
 * the order they entered it. Adding, removing and moving cost O(1) plus O(S), S being the number of
 * distinct free-slot counts (a handful: counts range over 0…slots) — independent of the number of
 * workers, which is what keeps placement flat as a cluster grows.
 *
 * Groups are intrusive linked lists rather than `Set`s: moving a worker between groups on every
 * placement would make a `Set` rehash and allocate, which measured slower than the rest of placement.
 */
export class SlotBuckets<T> {
  private readonly buckets = new Map<number, Bucket<T>>();
  /** The non-empty buckets, most free slots first. */
  private readonly occupied: Bucket<T>[] = [];
  private total = 0;

  get size(): number {
    return this.total;
  }

  /** Files `item` at the back of the group with `freeSlots`. */
  add(item: T, freeSlots: number): SlotNode<T> {
    const node: SlotNode<T> = { item, owner: this, bucket: undefined, previous: undefined, next: undefined };
    this.append(node, freeSlots);
    this.total += 1;
    return node;
  }

  /** Unfiles the item of `node`; a node already removed is ignored. */
  delete(node: SlotNode<T>): void {
    if (node.bucket === undefined) return;
    this.unlink(node);
    this.total -= 1;
  }

  /** Moves the item of `node` to the back of the group with `freeSlots`. */
  move(node: SlotNode<T>, freeSlots: number): void {
    if (node.bucket === undefined) return;
    this.unlink(node);
    this.append(node, freeSlots);
  }

  /** The first item in O(1): the earliest filed of those with the most free slots. */
  first(): T | undefined {
    return this.occupied[0]?.first?.item;
  }

  /** Every item, first to last. The buckets must not change while the walk is in progress. */
  *ordered(): Generator<T, void, undefined> {
    for (const bucket of this.occupied) {
      for (let node = bucket.first; node !== undefined; node = node.next) yield node.item;
    }
  }

  private append(node: SlotNode<T>, freeSlots: number): void {
    let bucket = this.buckets.get(freeSlots);
    if (bucket === undefined) {
      // Empty buckets are kept: a count that empties tends to fill again soon.
      bucket = { freeSlots, first: undefined, last: undefined, size: 0 };
      this.buckets.set(freeSlots, bucket);
    }
    if (bucket.size === 0) this.occupy(bucket);
    node.bucket = bucket;
    node.previous = bucket.last;
    node.next = undefined;
    if (bucket.last === undefined) bucket.first = node;
    else bucket.last.next = node;
    bucket.last = node;
    bucket.size += 1;
  }

  private unlink(node: SlotNode<T>): void {
    const bucket = node.bucket;
    if (bucket === undefined) return;
    if (node.previous === undefined) bucket.first = node.next;
    else node.previous.next = node.next;
    if (node.next === undefined) bucket.last = node.previous;
    else node.next.previous = node.previous;
    node.bucket = undefined;
    node.previous = undefined;
    node.next = undefined;
    bucket.size -= 1;
    if (bucket.size === 0) this.occupied.splice(this.occupied.indexOf(bucket), 1);
  }

  private occupy(bucket: Bucket<T>): void {
    let i = 0;
    while (i < this.occupied.length && (this.occupied[i] as Bucket<T>).freeSlots > bucket.freeSlots) i += 1;
    this.occupied.splice(i, 0, bucket);
  }
}

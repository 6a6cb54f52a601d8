/**
 * A first-in-first-out queue with O(1) `shift`. `Array.prototype.shift` copies the whole array, which
 * turns a burst of thousands of waiting publishes into quadratic work.
 */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined as T; // let it be collected
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Puts `item` at `index` from the front (0 = next out). Linear, for the rare re-queue. */
  insert(index: number, item: T): void {
    this.items.splice(this.head + index, 0, item);
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return all;
  }
}

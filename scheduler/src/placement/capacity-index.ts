import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import { SlotBuckets } from './slot-buckets';
import type { SlotNode } from './slot-buckets';

/** A worker as the index sees it: its advertisement and the slots it can take now. A live view. */
export interface IndexedWorker {
  readonly advertisement: WorkerAdvertisement;
  readonly freeSlots: number;
}

interface Entry {
  advertisement: WorkerAdvertisement;
  freeSlots: number;
  /** Where the entry is filed in the buckets of each task type it advertises. */
  readonly nodes: Map<string, SlotNode<Entry>>;
}

/**
 * Live workers indexed by task type. Each type keeps its workers grouped by free slots, so the best
 * worker for a type is found in O(1) and an advert change, reservation or release costs O(t) for a
 * worker of t task types — placement time stays flat as the cluster grows instead of scanning every
 * worker per request.
 *
 * Preference: most free slots first; among equals, the worker that has had that many free slots the
 * longest. A worker given a task drops to the back of the next group, so a burst round-robins over
 * equally free workers. (Ordering equals by "least recently assigned, then id" instead needs a sorted
 * structure per type, O(log n) per change; measured, that made 1,000 workers ~3× slower than 10.)
 *
 * Free slots are the advertised ones, adjusted by {@link reserve} and {@link release} between adverts.
 * Which figure to feed it (e.g. an advert minus assignments it has not seen yet) is the caller's call.
 */
export class CapacityIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly byTaskType = new Map<string, SlotBuckets<Entry>>();

  get size(): number {
    return this.entries.size;
  }

  get(workerId: string): IndexedWorker | undefined {
    return this.entries.get(workerId);
  }

  workers(): IterableIterator<IndexedWorker> {
    return this.entries.values();
  }

  /** How many workers advertise `taskType`, busy or not. */
  countFor(taskType: string): number {
    return this.byTaskType.get(taskType)?.size ?? 0;
  }

  /** The task types at least one indexed worker advertises. */
  taskTypes(): IterableIterator<string> {
    return this.byTaskType.keys();
  }

  /** Adds a worker or replaces its advertisement, free slots included. */
  upsert(advertisement: WorkerAdvertisement): void {
    let entry = this.entries.get(advertisement.workerId);
    if (entry === undefined) {
      entry = { advertisement, freeSlots: advertisement.freeSlots, nodes: new Map() };
      this.entries.set(advertisement.workerId, entry);
    } else {
      for (const taskType of entry.nodes.keys()) {
        if (!Object.hasOwn(advertisement.taskTypes, taskType)) this.unfile(entry, taskType);
      }
      entry.advertisement = advertisement;
    }
    const changed = entry.freeSlots !== advertisement.freeSlots;
    entry.freeSlots = advertisement.freeSlots;
    for (const taskType of Object.keys(advertisement.taskTypes)) {
      const node = entry.nodes.get(taskType);
      if (node === undefined)
        entry.nodes.set(taskType, this.bucketsFor(taskType).add(entry, entry.freeSlots));
      else if (changed) node.owner.move(node, entry.freeSlots);
    }
  }

  /** Forgets a worker (it left or failed). Returns whether it was known. */
  remove(workerId: string): boolean {
    const entry = this.entries.get(workerId);
    if (entry === undefined) return false;
    this.entries.delete(workerId);
    for (const taskType of [...entry.nodes.keys()]) this.unfile(entry, taskType);
    return true;
  }

  /**
   * Takes `slots` of a worker's free slots (never below 0) for tasks just assigned to it. The next
   * advertisement from the worker overrides the count.
   */
  reserve(workerId: string, slots = 1): void {
    const entry = this.entries.get(workerId);
    if (entry !== undefined) this.refile(entry, Math.max(0, entry.freeSlots - slots));
  }

  /** Gives back slots taken by {@link reserve}, e.g. when the assignment could not be sent (never above `slots`). */
  release(workerId: string, slots = 1): void {
    const entry = this.entries.get(workerId);
    if (entry !== undefined) this.refile(entry, Math.min(entry.advertisement.slots, entry.freeSlots + slots));
  }

  /** The best worker for `taskType`, ignoring constraints; undefined if none advertises it. */
  best(taskType: string): IndexedWorker | undefined {
    return this.byTaskType.get(taskType)?.first();
  }

  /**
   * Workers advertising `taskType`, best first (busy ones last), generated lazily so a caller that
   * stops at the first acceptable worker pays only for the ones it looked at. Do not change the index
   * while iterating.
   */
  candidates(taskType: string): Iterable<IndexedWorker> {
    return this.byTaskType.get(taskType)?.ordered() ?? [];
  }

  private bucketsFor(taskType: string): SlotBuckets<Entry> {
    let buckets = this.byTaskType.get(taskType);
    if (buckets === undefined) {
      buckets = new SlotBuckets();
      this.byTaskType.set(taskType, buckets);
    }
    return buckets;
  }

  private unfile(entry: Entry, taskType: string): void {
    const node = entry.nodes.get(taskType);
    const buckets = this.byTaskType.get(taskType);
    entry.nodes.delete(taskType);
    if (node === undefined || buckets === undefined) return;
    buckets.delete(node);
    // Task types come and go with plugins; keep the map to the ones someone serves.
    if (buckets.size === 0) this.byTaskType.delete(taskType);
  }

  private refile(entry: Entry, freeSlots: number): void {
    if (freeSlots === entry.freeSlots) return;
    entry.freeSlots = freeSlots;
    for (const node of entry.nodes.values()) node.owner.move(node, freeSlots);
  }
}

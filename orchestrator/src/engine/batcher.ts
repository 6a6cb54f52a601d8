import { isRetryableError } from '@wlm/commons/errors';
import type { Logger } from '@wlm/commons/logging';

/**
 * Processes a batch. Resolves with the items that failed on their own (each with its error); the
 * others succeeded. Rejecting fails the whole batch.
 */
export type BatchProcessor<T> = (items: readonly T[]) => Promise<ReadonlyMap<T, Error>>;

export interface BatcherOptions<T> {
  /** Most items per batch. */
  maxSize: number;
  /** How long the first item of an idle batcher waits for company. */
  maxWaitMs: number;
  /** Batches processed at once. Default 1. */
  batchesInFlight?: number;
  /**
   * Items with the same key are never in two batches at once, and go in the order they came: a
   * later one waits for its key's batch to end. Without it every item has the same key, so batches
   * go one at a time whatever `batchesInFlight` says.
   */
  keyOf?: (item: T) => string;
  logger: Logger;
}

interface Pending<T> {
  item: T;
  key: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Collects items into batches. The commit, not the row, is what costs in both stores, so many events
 * per transaction is the throughput of the engine (docs/data-model-mysql.md). Waiting is adaptive:
 * an idle batcher waits `maxWaitMs` for the first batch; under load, whatever arrived while the
 * batches in flight were processed forms the next batch as soon as one ends.
 *
 * More than one batch in flight overlaps one batch's store round trips with the next one's, where a
 * single batch at a time leaves both the stores and the process waiting on each other; `keyOf` keeps
 * what must not overlap (the events of one experiment) in order.
 *
 * A batch that fails with a non-retryable error is split and each item processed alone, so one
 * poison item fails (and is dead-lettered) alone rather than taking its batch with it.
 */
export class Batcher<T> {
  private pending: Pending<T>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** Keys of the items of the batches in flight. */
  private readonly busyKeys = new Set<string>();
  private readonly batchesInFlight: number;
  private readonly keyOf: (item: T) => string;

  constructor(
    private readonly process: BatchProcessor<T>,
    private readonly options: BatcherOptions<T>,
  ) {
    this.batchesInFlight = options.batchesInFlight ?? 1;
    this.keyOf = options.keyOf ?? (() => '');
  }

  /** Resolves once the item's batch is processed; rejects with the item's (or its batch's) error. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, key: this.keyOf(item), resolve, reject });
      // All slots taken: the next batch forms when one ends.
      if (this.inFlight.size >= this.batchesInFlight) return;
      if (this.pending.length >= this.options.maxSize) this.flushNow();
      else this.timer ??= setTimeout(() => this.flushNow(), this.options.maxWaitMs);
    });
  }

  /** Resolves when nothing is pending or being processed. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.pending.length > 0) {
      if (this.inFlight.size === 0) this.flushNow();
      await Promise.all(this.inFlight);
    }
  }

  private flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.inFlight.size < this.batchesInFlight) {
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      const running: Promise<void> = this.run(batch).finally(() => {
        this.inFlight.delete(running);
        for (const entry of batch) this.busyKeys.delete(entry.key);
        // What arrived meanwhile has waited long enough.
        if (this.pending.length > 0) this.flushNow();
      });
      this.inFlight.add(running);
    }
  }

  /** Up to `maxSize` pending items, in order, skipping those whose key is in a batch in flight. */
  private takeBatch(): Pending<T>[] {
    const batch: Pending<T>[] = [];
    const left: Pending<T>[] = [];
    for (const entry of this.pending) {
      if (batch.length < this.options.maxSize && !this.busyKeys.has(entry.key)) batch.push(entry);
      else left.push(entry);
    }
    // Marked only now, so that every pending item of a key taken goes in this same batch (up to maxSize).
    for (const entry of batch) this.busyKeys.add(entry.key);
    this.pending = left;
    return batch;
  }

  private async run(batch: Pending<T>[]): Promise<void> {
    try {
      const failures = await this.process(batch.map((entry) => entry.item));
      for (const entry of batch) {
        const error = failures.get(entry.item);
        if (error === undefined) entry.resolve();
        else entry.reject(error);
      }
    } catch (error) {
      if (batch.length === 1 || isRetryableError(error)) {
        for (const entry of batch) entry.reject(error);
        return;
      }
      this.options.logger.warn(
        { err: error, size: batch.length },
        'a batch failed; processing its items one by one to isolate the cause',
      );
      for (const entry of batch) await this.run([entry]);
    }
  }
}

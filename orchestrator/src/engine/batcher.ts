import { isRetryableError } from '@wlm/commons/errors';
import type { Logger } from '@wlm/commons/logging';

/**
 * Processes a batch. Resolves with the items that failed on their own (each with its error); the
 * others succeeded. Rejecting fails the whole batch.
 */
export type BatchProcessor<T> = (items: readonly T[]) => Promise<ReadonlyMap<T, Error>>;

export interface BatcherOptions {
  /** Most items per batch. */
  maxSize: number;
  /** How long the first item of an idle batcher waits for company. */
  maxWaitMs: number;
  logger: Logger;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Collects items into batches and processes one batch at a time. The commit, not the row, is what
 * costs in both stores, so many events per transaction is the throughput of the engine
 * (docs/data-model-mysql.md). Waiting is adaptive: an idle batcher waits `maxWaitMs` for the first
 * batch; under load, whatever arrived during a flush forms the next batch at once.
 *
 * A batch that fails with a non-retryable error is split and each item processed alone, so one
 * poison item fails (and is dead-lettered) alone rather than taking its batch with it.
 */
export class Batcher<T> {
  private pending: Pending<T>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly process: BatchProcessor<T>,
    private readonly options: BatcherOptions,
  ) {}

  /** Resolves once the item's batch is processed; rejects with the item's (or its batch's) error. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.flushing !== undefined) return;
      if (this.pending.length >= this.options.maxSize) this.flushNow();
      else this.timer ??= setTimeout(() => this.flushNow(), this.options.maxWaitMs);
    });
  }

  /** Resolves when nothing is pending or being processed. */
  async idle(): Promise<void> {
    while (this.flushing !== undefined || this.pending.length > 0) {
      if (this.flushing === undefined) this.flushNow();
      await this.flushing;
    }
  }

  private flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing !== undefined || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.options.maxSize);
    this.flushing = this.run(batch).finally(() => {
      this.flushing = undefined;
      // What arrived meanwhile has waited long enough.
      if (this.pending.length > 0) this.flushNow();
    });
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

/** Runs one batch: one result per item, in the items' order. Rejecting fails every item of the batch. */
export type BatchRunner<I, R> = (items: readonly I[]) => Promise<readonly R[]>;

export interface TickBatchesOptions {
  /** Items per batch at most; more wait for the next one. */
  readonly maxBatch: number;
  /** Batches running at once at most. */
  readonly inFlight: number;
}

interface Waiting<I, R> {
  readonly item: I;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Gathers the items added in the same tick into one batch, so that a burst costs one statement per
 * batch rather than one per item. While `inFlight` batches run, what arrives waits and forms the next
 * batch as soon as one ends — a slow batch does not hold back the next, which overlaps its round trip.
 */
export class TickBatches<I, R> {
  private waiting: Waiting<I, R>[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly runBatch: BatchRunner<I, R>,
    private readonly options: TickBatchesOptions,
  ) {}

  /** Resolves with the item's result once its batch ran; rejects with its batch's error. */
  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.scheduled || this.running >= this.options.inFlight) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.startBatches();
      });
    });
  }

  /** Fails every item not yet in a running batch with `error`; batches running finish as they do. */
  rejectWaiting(error: unknown): void {
    for (const waiting of this.waiting.splice(0)) waiting.reject(error);
  }

  private startBatches(): void {
    while (this.running < this.options.inFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.running += 1;
      void this.run(batch).finally(() => {
        this.running -= 1;
        this.startBatches();
      });
    }
  }

  private async run(batch: readonly Waiting<I, R>[]): Promise<void> {
    try {
      const results = await this.runBatch(batch.map((waiting) => waiting.item));
      batch.forEach((waiting, index) => waiting.resolve(results[index] as R));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  }
}

import { setImmediate as nextTick } from 'node:timers/promises';
import { TickBatches } from '../../../src/fence/tick-batches';

/** A runner whose batches the test ends one by one; it records what each batch held. */
class HeldRunner {
  readonly batches: number[][] = [];
  private readonly pending: Array<{ items: readonly number[]; end: (error?: Error) => void }> = [];

  readonly run = (items: readonly number[]): Promise<string[]> => {
    this.batches.push([...items]);
    return new Promise((resolve, reject) => {
      this.pending.push({
        items,
        end: (error) => (error === undefined ? resolve(items.map((n) => `r${n}`)) : reject(error)),
      });
    });
  };

  get running(): number {
    return this.pending.length;
  }

  /** Ends the oldest running batch, with `error` or with a result per item. */
  endOldest(error?: Error): void {
    this.pending.shift()?.end(error);
  }
}

describe('TickBatches', () => {
  it('runs the items of one tick as one batch and hands each its own result', async () => {
    const runner = new HeldRunner();
    const batches = new TickBatches(runner.run, { maxBatch: 10, inFlight: 1 });
    const results = [batches.add(1), batches.add(2), batches.add(3)];
    await nextTick();
    expect(runner.batches).toEqual([[1, 2, 3]]);
    runner.endOldest();
    await expect(Promise.all(results)).resolves.toEqual(['r1', 'r2', 'r3']);
  });

  it('splits a tick larger than maxBatch', async () => {
    const runner = new HeldRunner();
    const batches = new TickBatches(runner.run, { maxBatch: 2, inFlight: 3 });
    const results = [1, 2, 3, 4, 5].map((n) => batches.add(n));
    await nextTick();
    expect(runner.batches).toEqual([[1, 2], [3, 4], [5]]);
    while (runner.running > 0) runner.endOldest();
    await expect(Promise.all(results)).resolves.toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
  });

  it('starts a second batch while the first runs, and holds later items until one ends', async () => {
    const runner = new HeldRunner();
    const batches = new TickBatches(runner.run, { maxBatch: 10, inFlight: 2 });
    const first = batches.add(1);
    await nextTick();
    const second = batches.add(2);
    await nextTick();
    expect(runner.batches).toEqual([[1], [2]]);

    // Both slots busy: these wait, then go together in the batch that follows the first to end.
    const waiting = [batches.add(3), batches.add(4)];
    await nextTick();
    expect(runner.batches).toHaveLength(2);
    runner.endOldest();
    await expect(first).resolves.toBe('r1');
    await nextTick();
    expect(runner.batches).toEqual([[1], [2], [3, 4]]);
    while (runner.running > 0) runner.endOldest();
    await expect(second).resolves.toBe('r2');
    await expect(Promise.all(waiting)).resolves.toEqual(['r3', 'r4']);
  });

  it('fails every item of a failed batch, and only those', async () => {
    const runner = new HeldRunner();
    const batches = new TickBatches(runner.run, { maxBatch: 10, inFlight: 2 });
    const failing = [batches.add(1), batches.add(2)];
    await nextTick();
    const fine = batches.add(3);
    await nextTick();
    const boom = new Error('database gone');
    runner.endOldest(boom);
    runner.endOldest();
    for (const result of failing) await expect(result).rejects.toBe(boom);
    await expect(fine).resolves.toBe('r3');
  });

  it('rejects the items still waiting, leaving running batches to finish', async () => {
    const runner = new HeldRunner();
    const batches = new TickBatches(runner.run, { maxBatch: 10, inFlight: 1 });
    const running = batches.add(1);
    await nextTick();
    const waiting = batches.add(2);
    const closing = new Error('closing');
    batches.rejectWaiting(closing);
    await expect(waiting).rejects.toBe(closing);
    runner.endOldest();
    await expect(running).resolves.toBe('r1');
    await nextTick();
    expect(runner.batches).toEqual([[1]]);
  });
});

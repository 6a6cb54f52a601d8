import { WlmError } from '@wlm/commons/errors';
import { createLogger } from '@wlm/commons/logging';
import { Batcher } from '../../../src/engine/batcher';

const logger = createLogger({ component: 'test', level: 'silent', pretty: false });

function recording(fail: (items: readonly number[]) => Error | undefined = () => undefined) {
  const batches: number[][] = [];
  const batcher = new Batcher<number>(
    async (items) => {
      batches.push([...items]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const error = fail(items);
      if (error !== undefined) throw error;
      return new Map(items.filter((item) => item < 0).map((item) => [item, new Error(`bad ${item}`)]));
    },
    { maxSize: 3, maxWaitMs: 2, logger },
  );
  return { batches, batcher };
}

describe('Batcher', () => {
  it('gathers items into batches of at most maxSize, one batch at a time', async () => {
    const { batches, batcher } = recording();
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map((item) => batcher.add(item)));
    expect(batches.flat()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(3);
    expect(batches.length).toBeLessThanOrEqual(4);
  });

  it('rejects only the items the processor reports as failed', async () => {
    const { batcher } = recording();
    const results = await Promise.allSettled([1, -2, 3].map((item) => batcher.add(item)));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('isolates the culprit of a batch that fails for good by retrying its items one by one', async () => {
    const { batches, batcher } = recording((items) => (items.includes(13) ? new Error('poison') : undefined));
    const results = await Promise.allSettled([11, 12, 13].map((item) => batcher.add(item)));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(batches).toContainEqual([13]);
  });

  it('fails a whole batch with a retryable error without splitting it (the messages are requeued)', async () => {
    const retryable = new WlmError('AMQP_UNAVAILABLE', 'down', { retryable: true });
    const { batches, batcher } = recording(() => retryable);
    const results = await Promise.allSettled([1, 2].map((item) => batcher.add(item)));
    expect(results.every((result) => result.status === 'rejected' && result.reason === retryable)).toBe(true);
    expect(batches).toEqual([[1, 2]]);
  });

  it('processes one batch at a time by default', async () => {
    let running = 0;
    let mostAtOnce = 0;
    const batcher = new Batcher<number>(
      async () => {
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        return new Map();
      },
      { maxSize: 2, maxWaitMs: 1, logger },
    );
    await Promise.all([1, 2, 3, 4, 5, 6].map((item) => batcher.add(item)));
    expect(mostAtOnce).toBe(1);
  });

  describe('with several batches in flight and a key', () => {
    /** Items are `key:n`; each batch is held until the test releases it. */
    function keyed(batchesInFlight: number) {
      const batches: string[][] = [];
      const release: Array<() => void> = [];
      let running = 0;
      let mostAtOnce = 0;
      const keyOf = (item: string) => item.split(':')[0] ?? '';
      const keysInFlight: string[] = [];
      /** Keys found in a batch while another batch with them was in flight. */
      const overlapping: string[] = [];
      const batcher = new Batcher<string>(
        async (items) => {
          batches.push([...items]);
          const keys = [...new Set(items.map(keyOf))];
          overlapping.push(...keys.filter((key) => keysInFlight.includes(key)));
          keysInFlight.push(...keys);
          running += 1;
          mostAtOnce = Math.max(mostAtOnce, running);
          await new Promise<void>((resolve) => release.push(resolve));
          running -= 1;
          for (const key of keys) keysInFlight.splice(keysInFlight.indexOf(key), 1);
          return new Map();
        },
        { maxSize: 3, maxWaitMs: 1, batchesInFlight, keyOf, logger },
      );
      const releaseAll = async (): Promise<void> => {
        while (running > 0 || release.length > 0) {
          release.splice(0).forEach((resolve) => resolve());
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      };
      return { batches, batcher, release, releaseAll, overlapping, mostAtOnce: () => mostAtOnce };
    }

    const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

    it('starts a batch of other keys while one is in flight, up to the limit', async () => {
      const { batches, batcher, releaseAll, mostAtOnce } = keyed(2);
      const done = [batcher.add('a:1')];
      await settle();
      done.push(batcher.add('b:1'));
      await settle();
      done.push(batcher.add('c:1'));
      await settle();
      // a and b are in flight; c waits for a free slot.
      expect(batches).toEqual([['a:1'], ['b:1']]);
      await releaseAll();
      await Promise.all(done);
      expect(batches).toEqual([['a:1'], ['b:1'], ['c:1']]);
      expect(mostAtOnce()).toBe(2);
    });

    it('holds an item whose key is in flight until its batch ends, and keeps each key in order', async () => {
      const { batches, batcher, release, releaseAll } = keyed(3);
      const done = [batcher.add('a:1')];
      await settle();
      done.push(batcher.add('a:2'), batcher.add('b:1'), batcher.add('a:3'));
      await settle();
      // b goes at once beside a's batch; a's later items wait for it.
      expect(batches).toEqual([['a:1'], ['b:1']]);
      release.shift()?.();
      await settle();
      expect(batches).toEqual([['a:1'], ['b:1'], ['a:2', 'a:3']]);
      await releaseAll();
      await Promise.all(done);
      await batcher.idle();
    });

    it('never puts one key in two batches at once, whatever arrives', async () => {
      const { batches, batcher, releaseAll, overlapping, mostAtOnce } = keyed(3);
      const items = Array.from({ length: 30 }, (_, i) => `${'abcd'[i % 4] ?? ''}:${i}`);
      const done = items.map((item) => batcher.add(item));
      for (let round = 0; round < 20 && batches.flat().length < items.length; round += 1) await releaseAll();
      await Promise.all(done);
      expect([...batches.flat()].sort()).toEqual([...items].sort());
      expect(overlapping).toEqual([]);
      expect(mostAtOnce()).toBeGreaterThan(1);
      // Each key's items were processed in the order they came.
      for (const key of 'abcd') {
        const ofKey = batches.flat().filter((item) => item.startsWith(`${key}:`));
        expect(ofKey).toEqual(items.filter((item) => item.startsWith(`${key}:`)));
      }
    });
  });

  it('idle() waits for what is pending', async () => {
    const { batches, batcher } = recording();
    void batcher.add(1);
    await batcher.idle();
    expect(batches).toEqual([[1]]);
  });
});

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

  it('idle() waits for what is pending', async () => {
    const { batches, batcher } = recording();
    void batcher.add(1);
    await batcher.idle();
    expect(batches).toEqual([[1]]);
  });
});

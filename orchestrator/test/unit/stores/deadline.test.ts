import { isRetryableError } from '@wlm/commons/errors';
import { StoreTimeoutError } from '../../../src/errors/store-timeout-error';
import { withDeadline } from '../../../src/stores/deadline';

const spec = { store: 'mysql', operation: 'getExperiment', timeoutMs: 20 } as const;

describe('withDeadline', () => {
  it('answers what the call answers when it settles in time', async () => {
    await expect(withDeadline(spec, async () => 'row')).resolves.toBe('row');
    await expect(
      withDeadline(spec, async () => {
        throw new Error('duplicate key');
      }),
    ).rejects.toThrow('duplicate key');
  });

  it('fails a call that never settles with a retryable STORE_TIMEOUT, and aborts its signal', async () => {
    let seen: AbortSignal | undefined;
    const error: unknown = await withDeadline(spec, (signal) => {
      seen = signal;
      return new Promise<never>(() => undefined);
    }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(StoreTimeoutError);
    expect(error).toMatchObject({ code: 'STORE_TIMEOUT', store: 'mysql', operation: 'getExperiment' });
    expect((error as Error).message).toBe('mysql did not answer getExperiment within 20 ms');
    expect(isRetryableError(error)).toBe(true);
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(error);
  });

  it('ignores a late failure of a call it gave up on', async () => {
    let fail: (error: Error) => void = () => undefined;
    const late = new Promise<never>((_resolve, reject) => {
      fail = reject;
    });
    await expect(withDeadline(spec, () => late)).rejects.toBeInstanceOf(StoreTimeoutError);
    fail(new Error('connection destroyed'));
    await new Promise((resolve) => setImmediate(resolve));
  });
});

import { createLogger } from '@wlm/commons/logging';
import { StoreLifecycle } from '../../../src/stores/store-lifecycle';

const logger = createLogger({ component: 'test', level: 'silent', pretty: false });

describe('StoreLifecycle', () => {
  it('takes calls until closed, then refuses them with SHUTTING_DOWN naming the store', async () => {
    const lifecycle = new StoreLifecycle('the test store', async () => undefined, logger);
    expect(() => lifecycle.ensureOpen()).not.toThrow();
    const closed = lifecycle.close();
    expect(() => lifecycle.ensureOpen()).toThrow(
      expect.objectContaining({ code: 'SHUTTING_DOWN', message: 'the test store is closed' }),
    );
    await closed;
  });

  it('releases once however often it is closed, every caller waiting for that release', async () => {
    let releases = 0;
    let finish = (): void => undefined;
    const lifecycle = new StoreLifecycle(
      'the test store',
      () => {
        releases += 1;
        return new Promise<void>((resolve) => (finish = resolve));
      },
      logger,
    );
    const first = lifecycle.close();
    const second = lifecycle.close();
    expect(second).toBe(first);
    finish();
    await Promise.all([first, second, lifecycle.close()]);
    expect(releases).toBe(1);
  });

  it('settles a close whose release failed: there is nothing left to retry', async () => {
    const lifecycle = new StoreLifecycle('the test store', () => Promise.reject(new Error('gone')), logger);
    await expect(lifecycle.close()).resolves.toBeUndefined();
  });
});

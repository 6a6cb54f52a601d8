import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection, in a test process not started with `--expose-gc`: for tests that check
 * that something is no longer retained (a `WeakRef` whose target is gone).
 */
export async function collectGarbage(): Promise<void> {
  // A WeakRef keeps its target until the job that created or read it ends: let that job end first.
  await new Promise((resolve) => setImmediate(resolve));
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

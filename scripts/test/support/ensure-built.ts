import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
/**
 * The same lock as the workers' tests take: jest runs test files in parallel processes, and two
 * `tsc --build` runs over the same projects must not write the same files at once.
 */
const LOCK = join(tmpdir(), 'wlm-workers-test-build.lock');
const STALE_LOCK_MS = 180_000;

/**
 * The e2e tests run the built CLI (`scripts/dist/cli.js`) and its task plugins as child processes,
 * so they build first rather than test stale output (`tsc --build` is incremental: about a second
 * when nothing changed).
 */
export function ensureBuilt(): void {
  acquireLock();
  try {
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '--build', 'scripts', 'tasks/echo', 'tasks/shell'],
      { cwd: ROOT, stdio: 'pipe' },
    );
  } catch (error) {
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`tsc --build failed, so the CLI under test would be stale:\n${output}`);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function acquireLock(): void {
  const deadline = Date.now() + STALE_LOCK_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      return;
    } catch {
      if (Date.now() > deadline || isStale()) rmSync(LOCK, { recursive: true, force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
}

function isStale(): boolean {
  try {
    return Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS;
  } catch {
    return false;
  }
}

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const LOCK = join(tmpdir(), 'wlm-workers-test-build.lock');
const STALE_LOCK_MS = 180_000;

/**
 * Task processes run the compiled child entry, so tests that fork them build first (`tsc --build`
 * is incremental: about a second when nothing changed); `extraProjects` adds e.g. `scripts`, whose
 * e2e tests run the built CLI. Jest runs test files in parallel workers, so every caller shares this
 * one lock directory and their builds never write the same files at once.
 */
export function ensureBuilt(extraProjects: readonly string[] = []): void {
  acquireLock();
  try {
    execFileSync(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '--build',
        'workers',
        'tasks/echo',
        'tasks/shell',
        ...extraProjects,
      ],
      { cwd: ROOT, stdio: 'pipe' },
    );
  } catch (error) {
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`tsc --build failed, so task processes cannot start:\n${output}`);
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

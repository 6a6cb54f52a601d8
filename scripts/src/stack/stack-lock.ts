import { mkdirSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { WlmError } from '@wlm/commons/errors';
import { commandLineOf, readPidFile } from './process-supervisor';

export interface StackLockOptions {
  readonly runDir: string;
  /** Called every few seconds while another `wlm stack` command holds the lock. */
  readonly onWait?: (holderPid: number, elapsedMs: number) => void;
  readonly timeoutMs?: number;
}

function tryCreate(file: string): boolean {
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Runs `work` while holding the stack's lock file. Two `stack up` at once (two test runs, CI and a
 * person) would otherwise both see a port closed and both start the server; the second would fail.
 * A lock left by a process that died is taken over.
 */
export async function withStackLock<T>(options: StackLockOptions, work: () => Promise<T>): Promise<T> {
  mkdirSync(options.runDir, { recursive: true });
  const file = join(options.runDir, 'stack.lock');
  const timeoutMs = options.timeoutMs ?? 15 * 60_000;
  const started = Date.now();
  let lastReport = started;
  while (!tryCreate(file)) {
    const holder = readPidFile(file);
    if (holder === undefined || commandLineOf(holder) === undefined) {
      rmSync(file, { force: true });
      continue;
    }
    const now = Date.now();
    if (now - started > timeoutMs) {
      throw new WlmError(
        'STACK_LOCKED',
        `another wlm stack command (pid ${holder}) has held ${file} for ${Math.round(timeoutMs / 60_000)} min; ` +
          'wait for it or stop it',
      );
    }
    if (now - lastReport >= 5000) {
      options.onWait?.(holder, now - started);
      lastReport = now;
    }
    await delay(250);
  }
  try {
    return await work();
  } finally {
    rmSync(file, { force: true });
  }
}

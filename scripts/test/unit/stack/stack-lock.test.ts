import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { withStackLock } from '../../../src/stack/stack-lock';

describe('withStackLock', () => {
  let runDir: string;
  beforeEach(() => {
    runDir = mkdtempSync(join(tmpdir(), 'wlm-lock-'));
  });
  afterEach(() => rmSync(runDir, { recursive: true, force: true }));

  it('runs one holder at a time', async () => {
    const events: string[] = [];
    const holder = (name: string) =>
      withStackLock({ runDir }, async () => {
        events.push(`${name} in`);
        await delay(100);
        events.push(`${name} out`);
      });
    await Promise.all([holder('a'), holder('b')]);
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out']);
  });

  it('takes over a lock whose holder is gone', async () => {
    // PIDs are at most 2^22 on Linux: this one cannot be running.
    writeFileSync(join(runDir, 'stack.lock'), '99999999\n');
    await expect(withStackLock({ runDir, timeoutMs: 1000 }, async () => 'ran')).resolves.toBe('ran');
  });

  it('gives up after the timeout while a live process holds it', async () => {
    writeFileSync(join(runDir, 'stack.lock'), `${process.pid}\n`);
    await expect(withStackLock({ runDir, timeoutMs: 300 }, async () => 'ran')).rejects.toMatchObject({
      code: 'STACK_LOCKED',
    });
  });

  it('releases the lock when the work fails', async () => {
    await expect(withStackLock({ runDir }, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(withStackLock({ runDir, timeoutMs: 300 }, async () => 'again')).resolves.toBe('again');
  });
});

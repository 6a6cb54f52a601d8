import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  commandLineOf,
  livePid,
  readPidFile,
  spawnDetached,
  stopProcess,
} from '../../../src/stack/process-supervisor';
import { isPortOpen, waitForPort } from '../../../src/stack/tcp-probe';

describe('process supervision', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wlm-supervisor-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts a detached process with PID file and log, recognises it, and stops it', async () => {
    const pidFile = join(dir, 'run', 'sleeper.pid');
    const logFile = join(dir, 'logs', 'sleeper.log');
    const { pid } = await spawnDetached({
      command: process.execPath,
      args: ['-e', 'console.log("sleeper-marker"); setTimeout(() => {}, 60000)'],
      logFile,
      pidFile,
    });
    try {
      expect(readPidFile(pidFile)).toBe(pid);
      expect(livePid(pidFile, 'sleeper-marker')).toBe(pid);
      // A PID whose command line lacks the marker is not ours (the kernel may have reused it).
      expect(livePid(pidFile, 'something-else')).toBeUndefined();
      expect(await stopProcess(pid, 5000)).toBe('stopped');
      expect(commandLineOf(pid)).toBeUndefined();
    } finally {
      if (commandLineOf(pid) !== undefined) process.kill(pid, 'SIGKILL');
    }
  });

  it('reads no PID from a missing or garbled file', () => {
    expect(readPidFile(join(dir, 'none.pid'))).toBeUndefined();
    writeFileSync(join(dir, 'bad.pid'), 'not a pid');
    expect(readPidFile(join(dir, 'bad.pid'))).toBeUndefined();
  });

  it('rejects a command that cannot run', async () => {
    await expect(
      spawnDetached({ command: join(dir, 'no-such-binary'), args: [], logFile: join(dir, 'x.log') }),
    ).rejects.toThrow(/cannot run/);
  });
});

describe('waitForPort', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  async function freePort(): Promise<number> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return port;
  }

  it('waits until the port opens, reporting progress meanwhile', async () => {
    const port = await freePort();
    const address = { host: '127.0.0.1', port };
    expect(await isPortOpen(address)).toBe(false);
    setTimeout(() => {
      server = createServer().listen(port, '127.0.0.1');
    }, 300);
    const report = jest.fn();
    const outcome = await waitForPort({ address, timeoutMs: 5000, report, pollMs: 50, progressEveryMs: 100 });
    expect(outcome.ok).toBe(true);
    expect(report).toHaveBeenCalledWith('waiting', `waiting for 127.0.0.1:${port}`, expect.any(Number));
  });

  it('gives up as soon as the process exits', async () => {
    const address = { host: '127.0.0.1', port: await freePort() };
    const started = Date.now();
    const outcome = await waitForPort({
      address,
      timeoutMs: 10_000,
      report: () => undefined,
      exited: Promise.resolve({ code: 3, signal: null }),
    });
    expect(outcome).toEqual({ ok: false, reason: 'it exited with code 3 before answering' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives up at the timeout', async () => {
    const address = { host: '127.0.0.1', port: await freePort() };
    const outcome = await waitForPort({ address, timeoutMs: 300, report: () => undefined, pollMs: 50 });
    expect(outcome.ok).toBe(false);
  });
});

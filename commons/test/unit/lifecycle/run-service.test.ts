import { EventEmitter } from 'node:events';
import { runService } from '@wlm/commons/lifecycle';
import type { EndingService, FinalServiceState, ServiceProcess } from '@wlm/commons/lifecycle';

/** A process stand-in: signals are emitted by the test, `exit` records its code. */
class FakeProcess extends EventEmitter implements ServiceProcess {
  exitCode?: number | string | undefined;
  readonly exits: number[] = [];

  exit(code: number): never {
    this.exits.push(code);
    return undefined as never;
  }

  signal(signal: NodeJS.Signals): void {
    this.emit(signal, signal);
  }
}

/** A service that ends when the test says so. */
class FakeService implements EndingService {
  readonly ended: Promise<FinalServiceState>;
  failure: Error | undefined;
  end: (state: FinalServiceState) => void = () => undefined;

  constructor() {
    this.ended = new Promise((resolve) => (this.end = resolve));
  }
}

function setUp(exitAfterMs?: number): {
  target: FakeProcess;
  service: FakeService;
  said: string[];
  done: Promise<FinalServiceState>;
} {
  const target = new FakeProcess();
  const service = new FakeService();
  const said: string[] = [];
  const done = runService(service, {
    signalSteps: [
      { says: 'draining', run: () => said.push('(drain)') },
      { says: 'hurrying', run: () => said.push('(force)') },
    ],
    exitAfterMs,
    report: (message, severity) => said.push(`${severity}: ${message}`),
    target,
  });
  return { target, service, said, done };
}

describe('runService', () => {
  it('runs one step per signal, saying so, and exits with 128 + n on the signal after the last', () => {
    const { target, said } = setUp();
    target.signal('SIGTERM');
    target.signal('SIGINT');
    expect(said).toEqual(['info: SIGTERM: draining', '(drain)', 'info: SIGINT: hurrying', '(force)']);
    target.signal('SIGTERM');
    expect(target.exits).toEqual([143]);
  });

  it('resolves with the final state once the service stopped, leaving the exit code and no listener', async () => {
    const { target, service, done } = setUp();
    target.signal('SIGTERM');
    service.end('stopped');
    await expect(done).resolves.toBe('stopped');
    expect(target.exitCode).toBeUndefined();
    expect(target.listenerCount('SIGTERM') + target.listenerCount('SIGINT')).toBe(0);
  });

  it('sets exit code 1 when the service failed, and says what ended it', async () => {
    const { target, service, said, done } = setUp();
    service.failure = new Error('lost the Serf agent');
    service.end('failed');
    await expect(done).resolves.toBe('failed');
    expect(target.exitCode).toBe(1);
    expect(said).toEqual(['error: stopped after an error: lost the Serf agent']);
  });

  it('leaves a failed start to its starter to report, still with exit code 1', async () => {
    const { target, service, said, done } = setUp();
    service.end('failed');
    await done;
    expect(target.exitCode).toBe(1);
    expect(said).toEqual([]);
  });

  it('exits 1 when the service has not stopped within exitAfterMs of the first signal', async () => {
    const { target, service, said, done } = setUp(20);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(target.exits).toEqual([]);
    target.signal('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(target.exits).toEqual([1]);
    expect(said).toContain('error: still not stopped 0.02 s after the signal; exiting');
    service.end('stopped');
    await done;
  });

  it('does not exit once the service stopped before the deadline', async () => {
    const { target, service, done } = setUp(20);
    target.signal('SIGTERM');
    service.end('stopped');
    await done;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(target.exits).toEqual([]);
  });
});

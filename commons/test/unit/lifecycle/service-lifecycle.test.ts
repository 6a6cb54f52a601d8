import pino from 'pino';
import { WlmError } from '@wlm/commons/errors';
import { ServiceLifecycle } from '@wlm/commons/lifecycle';
import type { CloseStep, ServiceState } from '@wlm/commons/lifecycle';
import { isServiceTransition } from '../../../src/lifecycle/service-lifecycle';

interface LogLine {
  level: number;
  msg: string;
}

/** A lifecycle whose close steps, log lines and state changes the test reads. */
function lifecycleOf(steps: readonly CloseStep[] = []): {
  lifecycle: ServiceLifecycle;
  moves: string[];
  logged: LogLine[];
} {
  const logged: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => logged.push(JSON.parse(line) as LogLine) },
  );
  const lifecycle = new ServiceLifecycle({ name: 'test service', logger, closeSteps: () => steps });
  const moves: string[] = [];
  lifecycle.on('state', (state, previous) => moves.push(`${previous} → ${state}`));
  return { lifecycle, moves, logged };
}

const WARN = 40;

describe('ServiceLifecycle', () => {
  it('goes starting → running → draining → stopped, emitting each move, and ends stopped', async () => {
    const { lifecycle, moves } = lifecycleOf();
    expect(lifecycle.state).toBe('starting');
    await expect(lifecycle.start(async () => 'opened')).resolves.toBe('opened');
    expect(lifecycle.state).toBe('running');
    await lifecycle.close();
    expect(moves).toEqual(['starting → running', 'running → draining', 'draining → stopped']);
    await expect(lifecycle.ended).resolves.toBe('stopped');
    expect(lifecycle.failure).toBeUndefined();
  });

  it('closes once: every call returns the same promise and the steps run once, in order', async () => {
    const ran: string[] = [];
    const { lifecycle } = lifecycleOf([
      ['close the first', () => void ran.push('first')],
      ['skip what never opened', undefined],
      ['close the second', async () => void ran.push('second')],
    ]);
    await lifecycle.start(async () => undefined);
    const first = lifecycle.close();
    expect(lifecycle.close()).toBe(first);
    await first;
    await lifecycle.close();
    expect(ran).toEqual(['first', 'second']);
  });

  it('runs the steps after one that fails, logging the failure with what the step did', async () => {
    const ran: string[] = [];
    const { lifecycle, logged } = lifecycleOf([
      ['close the broken thing', () => Promise.reject(new Error('boom'))],
      ['close the next thing', () => void ran.push('next')],
    ]);
    await lifecycle.start(async () => undefined);
    await lifecycle.close();
    expect(ran).toEqual(['next']);
    expect(lifecycle.state).toBe('stopped');
    expect(logged.filter((line) => line.level === WARN).map((line) => line.msg)).toEqual([
      'test service: could not close the broken thing',
    ]);
  });

  it('releases what a failed start opened, ends failed and rethrows; the error is the starter’s to report', async () => {
    const ran: string[] = [];
    const { lifecycle, moves } = lifecycleOf([['close what opened', () => void ran.push('released')]]);
    await expect(lifecycle.start(() => Promise.reject(new Error('no broker')))).rejects.toThrow('no broker');
    expect(ran).toEqual(['released']);
    expect(moves).toEqual(['starting → failed']);
    await expect(lifecycle.ended).resolves.toBe('failed');
    expect(lifecycle.failure).toBeUndefined();
    // Closing a service that never ran has nothing left to do.
    await lifecycle.close();
    expect(ran).toEqual(['released']);
  });

  it('ends failed, after draining, when a fatal error is recorded while it runs; the first error counts', async () => {
    const { lifecycle, moves } = lifecycleOf();
    await lifecycle.start(async () => undefined);
    const lost = new Error('lost the agent');
    expect(lifecycle.fail(lost)).toBe(true);
    expect(lifecycle.fail(new Error('a later error'))).toBe(false);
    await lifecycle.close();
    expect(moves).toEqual(['starting → running', 'running → draining', 'draining → failed']);
    await expect(lifecycle.ended).resolves.toBe('failed');
    expect(lifecycle.failure).toBe(lost);
  });

  it('refuses a fatal error before it runs or once it ended', async () => {
    const { lifecycle } = lifecycleOf();
    expect(lifecycle.fail(new Error('too early'))).toBe(false);
    await lifecycle.start(async () => undefined);
    await lifecycle.close();
    expect(lifecycle.fail(new Error('too late'))).toBe(false);
    expect(lifecycle.failure).toBeUndefined();
  });

  it('waits for a start under way before it drains', async () => {
    const { lifecycle, moves } = lifecycleOf();
    let open: () => void = () => undefined;
    const started = lifecycle.start(() => new Promise<void>((resolve) => (open = resolve)));
    const closed = lifecycle.close();
    open();
    await started;
    await closed;
    expect(moves).toEqual(['starting → running', 'running → draining', 'draining → stopped']);
  });

  it('stops one closed before it started, and refuses to start it later', async () => {
    const { lifecycle, moves } = lifecycleOf([['never to run', () => Promise.reject(new Error('ran'))]]);
    await lifecycle.close();
    expect(moves).toEqual(['starting → stopped']);
    const refused = lifecycle.start(async () => undefined);
    await expect(refused).rejects.toBeInstanceOf(WlmError);
    await expect(refused).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    expect(lifecycle.state).toBe('stopped');
  });

  it('refuses a second start', async () => {
    const { lifecycle } = lifecycleOf();
    await lifecycle.start(async () => undefined);
    await expect(lifecycle.start(async () => undefined)).rejects.toThrow('started twice');
  });
});

describe('isServiceTransition', () => {
  const legal: [ServiceState, ServiceState][] = [
    ['starting', 'running'],
    ['starting', 'stopped'],
    ['starting', 'failed'],
    ['running', 'draining'],
    ['draining', 'stopped'],
    ['draining', 'failed'],
  ];
  const states: ServiceState[] = ['starting', 'running', 'draining', 'stopped', 'failed'];

  it('allows exactly the moves of the lifecycle: a running service drains before it ends', () => {
    const allowed = states.flatMap((from) =>
      states
        .filter((to) => isServiceTransition(from, to))
        .map((to): [ServiceState, ServiceState] => [from, to]),
    );
    expect(allowed).toEqual(legal);
  });
});

import { EventEmitter } from 'node:events';
import { onStopSignals } from '@wlm/commons/lifecycle';
import type { SignalTarget } from '@wlm/commons/lifecycle';

/** A process stand-in: signals are emitted by the test, exit throws with its code. */
class FakeProcess extends EventEmitter implements SignalTarget {
  exit(code: number): never {
    throw new Error(`exit ${code}`);
  }

  signal(signal: NodeJS.Signals): void {
    this.emit(signal, signal);
  }
}

describe('onStopSignals', () => {
  it('runs one step per SIGTERM or SIGINT, in order, then exits with 128 + the signal number', () => {
    const target = new FakeProcess();
    const ran: string[] = [];
    onStopSignals([(s) => ran.push(`drain on ${s}`), (s) => ran.push(`force on ${s}`)], target);
    target.signal('SIGTERM');
    target.signal('SIGINT');
    expect(ran).toEqual(['drain on SIGTERM', 'force on SIGINT']);
    expect(() => target.signal('SIGTERM')).toThrow('exit 143');
  });

  it('exits with 130 on the signal after the last step when it is SIGINT', () => {
    const target = new FakeProcess();
    onStopSignals([() => undefined], target);
    target.signal('SIGINT');
    expect(() => target.signal('SIGINT')).toThrow('exit 130');
  });

  it('stops listening when asked, leaving no listener behind', () => {
    const target = new FakeProcess();
    const ran: string[] = [];
    const stop = onStopSignals([(s) => ran.push(s)], target);
    stop();
    target.signal('SIGTERM');
    expect(ran).toEqual([]);
    expect(target.listenerCount('SIGTERM') + target.listenerCount('SIGINT')).toBe(0);
  });
});

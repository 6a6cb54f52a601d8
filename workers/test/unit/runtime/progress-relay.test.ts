import { ProgressRelay } from '../../../src/runtime/progress-relay';
import type { TaskProgress } from '@wlm/workers';

describe('ProgressRelay', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('passes the first report on at once and the latest of a burst after the interval', () => {
    const sent: TaskProgress[] = [];
    const relay = new ProgressRelay(1000, (progress) => sent.push(progress));
    relay.report({ message: 'one' });
    relay.report({ message: 'two' });
    relay.report({ message: 'three' });
    expect(sent.map((p) => p.message)).toEqual(['one']);
    jest.advanceTimersByTime(1000);
    expect(sent.map((p) => p.message)).toEqual(['one', 'three']);
  });

  it('drops what is pending when closed', () => {
    const sent: TaskProgress[] = [];
    const relay = new ProgressRelay(1000, (progress) => sent.push(progress));
    relay.report({ message: 'one' });
    relay.report({ message: 'two' });
    relay.close();
    jest.advanceTimersByTime(5000);
    relay.report({ message: 'three' });
    expect(sent.map((p) => p.message)).toEqual(['one']);
  });
});

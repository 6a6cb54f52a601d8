import { TIMER_DELAYS_MS } from '@wlm/commons/amqp';
import { TIMER_SLACK_MS, isDue, timerDelay } from '../../../src/service/timer-ladder';

describe('timer ladder', () => {
  it('picks the longest delay that does not overshoot, or the shortest one', () => {
    expect(timerDelay(0)).toBe(500);
    expect(timerDelay(499)).toBe(500);
    expect(timerDelay(1_999)).toBe(500);
    expect(timerDelay(2_000)).toBe(2_000);
    expect(timerDelay(300_000)).toBe(128_000);
    expect(timerDelay(Number.MAX_SAFE_INTEGER)).toBe(TIMER_DELAYS_MS.at(-1));
  });

  it('reaches any due time within the shortest delay, in few hops', () => {
    for (const total of [700, 5_000, 60_000, 300_000, 3_600_000, 7 * 86_400_000]) {
      let left = total;
      let hops = 0;
      while (!isDue(left, 0)) {
        left -= timerDelay(left);
        hops += 1;
      }
      expect(left).toBeGreaterThan(-500);
      expect(hops).toBeLessThanOrEqual(3 * TIMER_DELAYS_MS.length);
    }
  });

  it('calls a timer due within the slack', () => {
    expect(isDue(1_000, 1_000 - TIMER_SLACK_MS)).toBe(true);
    expect(isDue(1_000, 1_000 - TIMER_SLACK_MS - 1)).toBe(false);
    expect(isDue(1_000, 5_000)).toBe(true);
  });
});

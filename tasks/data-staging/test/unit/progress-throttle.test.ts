import { ProgressThrottle } from '../../src/progress-throttle';

describe('ProgressThrottle', () => {
  it('reports about every 10% of the bytes, not every chunk', () => {
    const throttle = new ProgressThrottle(1000);
    const reported: number[] = [];
    for (let i = 0; i < 100; i += 1) {
      const percent = throttle.advance(10);
      if (percent !== undefined) reported.push(percent);
    }
    expect(reported).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });

  it('reports once for a jump over several steps, then waits for the next step', () => {
    const throttle = new ProgressThrottle(100);
    expect(throttle.advance(5)).toBeUndefined();
    expect(throttle.advance(30)).toBe(35);
    expect(throttle.advance(4)).toBeUndefined();
    expect(throttle.advance(1)).toBe(40);
    expect(throttle.percent).toBe(40);
    expect(throttle.bytes).toBe(40);
  });

  it('never goes past the total, and counts an empty total as done', () => {
    const throttle = new ProgressThrottle(10);
    expect(throttle.advance(50)).toBe(100);
    expect(throttle.advance(1)).toBeUndefined();
    expect(throttle.bytes).toBe(10);
    expect(new ProgressThrottle(0).percent).toBe(100);
  });

  it('takes another step size', () => {
    const throttle = new ProgressThrottle(100, 25);
    const reported = [20, 10, 30, 40].map((bytes) => throttle.advance(bytes));
    expect(reported).toEqual([undefined, 30, 60, 100]);
    expect(() => new ProgressThrottle(100, 0)).toThrow(RangeError);
  });
});

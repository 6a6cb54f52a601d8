import {
  LatencyRecorder,
  percentile,
  summarizeLatencies,
} from '../../../src/mock-orchestrator/latency-stats';

describe('percentile (nearest rank)', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('picks the smallest sample with at least p% of the samples at or below it', () => {
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 100)).toBe(100);
    expect(percentile(oneToHundred, 0)).toBe(1);
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
    expect(percentile([10, 20, 30, 40], 51)).toBe(30);
  });

  it('returns an observed value, never an interpolation', () => {
    expect(percentile([1, 1000], 50)).toBe(1);
    expect(percentile([1, 1000], 99)).toBe(1000);
  });

  it('handles one sample and none, and refuses a percentile outside 0–100', () => {
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('summarizeLatencies', () => {
  it('sorts its input and rounds to a tenth of a millisecond', () => {
    expect(summarizeLatencies([3.14159, 1, 2])).toEqual({ count: 3, p50Ms: 2, p99Ms: 3.1, maxMs: 3.1 });
  });

  it('gives nulls, not NaN, for no samples so the JSON summary stays valid', () => {
    const empty = summarizeLatencies([]);
    expect(empty).toEqual({ count: 0, p50Ms: null, p99Ms: null, maxMs: null });
    expect(JSON.parse(JSON.stringify(empty))).toEqual(empty);
  });
});

describe('LatencyRecorder', () => {
  it('summarises each priority apart, highest first, and all of them together', () => {
    const recorder = new LatencyRecorder();
    for (let ms = 1; ms <= 100; ms += 1) recorder.record(1, ms);
    recorder.record(9, 5);
    recorder.record(9, 7);
    expect(recorder.count).toBe(102);
    expect(recorder.byPriority()).toEqual([
      { priority: 9, count: 2, p50Ms: 5, p99Ms: 7, maxMs: 7 },
      { priority: 1, count: 100, p50Ms: 50, p99Ms: 99, maxMs: 100 },
    ]);
    // 1..100 plus 5 and 7: the 51st of 102 sorted samples is 49.
    expect(recorder.overall()).toMatchObject({ count: 102, p50Ms: 49, maxMs: 100 });
  });
});

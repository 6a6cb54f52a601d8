/**
 * The `p`-th percentile of ascending `sorted` by the nearest-rank method: the smallest sample with at
 * least p% of the samples at or below it. Always an observed value (no interpolation), so a p99 of
 * 12 ms means some task really took 12 ms. Undefined for no samples.
 */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be from 0 to 100, got ${p}`);
  if (sorted.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** Latency figures of one group of samples, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

/** Summarises samples (any order); `null` figures when there are none, so JSON output stays plain. */
export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (value: number | undefined): number | null =>
    value === undefined ? null : Math.round(value * 10) / 10;
  return {
    count: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1]),
  };
}

/** {@link LatencySummary} of one priority. */
export interface PriorityLatency extends LatencySummary {
  readonly priority: number;
}

/**
 * Latency samples grouped by priority: the harness checks that priority queues let urgent work
 * overtake, which one overall figure would hide. Samples are kept whole (a run holds at most a few
 * hundred thousand) because percentiles cannot be merged from partial summaries.
 */
export class LatencyRecorder {
  private readonly samples = new Map<number, number[]>();

  record(priority: number, milliseconds: number): void {
    const list = this.samples.get(priority);
    if (list === undefined) this.samples.set(priority, [milliseconds]);
    else list.push(milliseconds);
  }

  get count(): number {
    let total = 0;
    for (const list of this.samples.values()) total += list.length;
    return total;
  }

  /** One row per priority that has samples, highest priority first. */
  byPriority(): PriorityLatency[] {
    return [...this.samples.entries()]
      .sort(([a], [b]) => b - a)
      .map(([priority, list]) => ({ priority, ...summarizeLatencies(list) }));
  }

  /** Every sample together. */
  overall(): LatencySummary {
    return summarizeLatencies([...this.samples.values()].flat());
  }
}

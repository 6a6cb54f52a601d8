import { readFileSync } from 'node:fs';

/**
 * A process's resident memory in bytes (`VmRSS` of `/proc/<pid>/status`), or `undefined` once the
 * process is gone. Resident memory is what an operator sees grow; it includes the heap V8 keeps
 * reserved after a collection, so it is the stricter measure of the two.
 */
export function residentBytes(pid: number): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}

/** Each service's resident memory, in bytes, by its label. */
export type MemorySample = Readonly<Record<string, number>>;

/** Each service's resident memory over one phase of the bench, sampled at a fixed interval. */
export interface MemoryOverPhase {
  readonly samples: number;
  readonly meanBytes: MemorySample;
  readonly peakBytes: MemorySample;
}

export const MEMORY_SAMPLE_INTERVAL_MS = 500;

/**
 * Samples each service's resident memory while `run` runs, and once more when it ends. A phase's
 * mean, rather than one reading at its end, is what the flat-cost target compares: a V8 service's
 * resident memory follows the heap V8 keeps committed, which swings by tens of MiB within a minute
 * as a burst's garbage is made and collected, while what it keeps live barely moves.
 */
export async function sampleMemoryDuring<T>(
  sample: () => MemorySample,
  run: () => Promise<T>,
  intervalMs = MEMORY_SAMPLE_INTERVAL_MS,
): Promise<{ result: T; memory: MemoryOverPhase }> {
  const readings: MemorySample[] = [sample()];
  const timer = setInterval(() => readings.push(sample()), intervalMs);
  try {
    const result = await run();
    readings.push(sample());
    return { result, memory: summarize(readings) };
  } finally {
    clearInterval(timer);
  }
}

/** The mean and the peak of each service over the readings it appears in. */
export function summarize(readings: readonly MemorySample[]): MemoryOverPhase {
  const seen = new Map<string, { total: number; count: number; peak: number }>();
  for (const reading of readings) {
    for (const [service, bytes] of Object.entries(reading)) {
      const tally = seen.get(service) ?? { total: 0, count: 0, peak: 0 };
      seen.set(service, {
        total: tally.total + bytes,
        count: tally.count + 1,
        peak: Math.max(tally.peak, bytes),
      });
    }
  }
  const entries = [...seen];
  return {
    samples: readings.length,
    meanBytes: Object.fromEntries(entries.map(([service, tally]) => [service, tally.total / tally.count])),
    peakBytes: Object.fromEntries(entries.map(([service, tally]) => [service, tally.peak])),
  };
}

/**
 * The memory half of the flat-cost target: each service's mean resident memory over the same
 * workload run once many experiments had finished, against once few had, within
 * {@link MEMORY_FLAT_TARGET}.
 */
export interface MemoryFlatCost {
  readonly experimentsBefore: number;
  readonly experimentsAfter: number;
  /** Mean resident MiB by service over the phase with few experiments finished, and with many. */
  readonly beforeMiB: Readonly<Record<string, number>>;
  readonly afterMiB: Readonly<Record<string, number>>;
  /** Peak resident MiB by service over the same two phases. */
  readonly peakBeforeMiB: Readonly<Record<string, number>>;
  readonly peakAfterMiB: Readonly<Record<string, number>>;
  /** Mean after over mean before, by service. */
  readonly ratio: Readonly<Record<string, number>>;
  /** The service whose memory grew most, and by how much. */
  readonly worst: { readonly service: string; readonly ratio: number } | null;
  readonly target: number;
}

export const MEMORY_FLAT_TARGET = 1.2;

const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** Compares two phases of the same services; services missing from either are left out. */
export function memoryFlatCost(
  before: MemoryOverPhase,
  after: MemoryOverPhase,
  experimentsBefore: number,
  experimentsAfter: number,
): MemoryFlatCost {
  const services = Object.keys(before.meanBytes).filter((service) => after.meanBytes[service] !== undefined);
  const inMiB = (bytes: MemorySample): Record<string, number> =>
    Object.fromEntries(services.map((service) => [service, mib(bytes[service] ?? 0)]));
  const ratio = Object.fromEntries(
    services.map((service) => [
      service,
      round3((after.meanBytes[service] ?? 0) / (before.meanBytes[service] ?? 1)),
    ]),
  );
  const worst = services.reduce<{ service: string; ratio: number } | null>((top, service) => {
    const value = ratio[service] ?? 0;
    return top === null || value > top.ratio ? { service, ratio: value } : top;
  }, null);
  return {
    experimentsBefore,
    experimentsAfter,
    beforeMiB: inMiB(before.meanBytes),
    afterMiB: inMiB(after.meanBytes),
    peakBeforeMiB: inMiB(before.peakBytes),
    peakAfterMiB: inMiB(after.peakBytes),
    ratio,
    worst,
    target: MEMORY_FLAT_TARGET,
  };
}

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

/**
 * The memory half of the flat-cost target: each service's resident memory once many experiments
 * have run, against once few had, within {@link MEMORY_FLAT_TARGET}.
 */
export interface MemoryFlatCost {
  readonly experimentsBefore: number;
  readonly experimentsAfter: number;
  /** Resident MiB by service, after few experiments and after many. */
  readonly beforeMiB: Readonly<Record<string, number>>;
  readonly afterMiB: Readonly<Record<string, number>>;
  /** After over before, by service. */
  readonly ratio: Readonly<Record<string, number>>;
  /** The service whose memory grew most, and by how much. */
  readonly worst: { readonly service: string; readonly ratio: number } | null;
  readonly target: number;
}

export const MEMORY_FLAT_TARGET = 1.2;

const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** Compares two samples of the same services; services missing from either are left out. */
export function memoryFlatCost(
  before: MemorySample,
  after: MemorySample,
  experimentsBefore: number,
  experimentsAfter: number,
): MemoryFlatCost {
  const services = Object.keys(before).filter((service) => after[service] !== undefined);
  const ratio = Object.fromEntries(
    services.map((service) => [service, round3((after[service] ?? 0) / (before[service] ?? 1))]),
  );
  const worst = services.reduce<{ service: string; ratio: number } | null>((top, service) => {
    const value = ratio[service] ?? 0;
    return top === null || value > top.ratio ? { service, ratio: value } : top;
  }, null);
  return {
    experimentsBefore,
    experimentsAfter,
    beforeMiB: Object.fromEntries(services.map((service) => [service, mib(before[service] ?? 0)])),
    afterMiB: Object.fromEntries(services.map((service) => [service, mib(after[service] ?? 0)])),
    ratio,
    worst,
    target: MEMORY_FLAT_TARGET,
  };
}

/**
 * The live workers of an installation, from Serf, and the free-slot accounting placement relies on.
 *
 * @example
 * ```ts
 * const registry = new WorkerRegistry({ serf, topology, logger });
 * registry.on('worker:failed', (worker, { source }) => drain(worker.workerId, source));
 * await registry.start();
 * const worker = new GreedyPlacement(registry.capacity).place(request);
 * if (worker) registry.reserve(worker.workerId, attemptKey(request));
 * ```
 */
export { WorkerRegistry } from './worker-registry';
export type { WorkerEntryState, WorkerRegistryOptions, WorkerStatus } from './worker-record';
export { WorkerDirectory } from './worker-directory';
export type { WorkerDirectoryOptions } from './worker-directory';
export type {
  WorkerFailedInfo,
  WorkerLossSource,
  WorkerRecoveredInfo,
  WorkerRegistryEvents,
} from './registry-events';
export { LIVENESS_QUERY, LivenessProbe } from './liveness-probe';
export type { LivenessProbeOptions, LivenessSink } from './liveness-probe';
export { ReservationLedger } from './reservation-ledger';
export { WorkerCapacity } from './worker-capacity';
export type { ReservationLedgerOptions } from './reservation-ledger';
export { readMember } from './worker-view';
export type { MemberReading, WorkerView } from './worker-view';
export { requestKey } from './task-key';

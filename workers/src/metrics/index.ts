export { createWorkerMetrics } from './worker-metrics';
export type { WorkerMetricsSource } from './worker-metrics';

export { createSchedulerMetrics } from './scheduler-metrics';
export type { SchedulerMetricsSource } from './scheduler-metrics';

export { serveMetrics } from './metrics-server';
export type { MetricsServer } from './metrics-server';

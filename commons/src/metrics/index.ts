export { serveMetrics } from './metrics-server';
export type { MetricsServer } from './metrics-server';
export { SERVICE_ENDPOINT_PATHS, serviceEndpoints } from './service-endpoints';
export type { ServiceEndpointHandler, ServiceEndpointsOptions, ServiceStatus } from './service-endpoints';
export { PROBE_TIMEOUT_MS, checkReadiness, connectionProbe } from './readiness';
export type { DependencyProbe, ProbeResult, ReadinessReport } from './readiness';
export { readQueueDepths, registerAmqpMetrics } from './amqp-metrics';
export type { QueueDepth } from './amqp-metrics';

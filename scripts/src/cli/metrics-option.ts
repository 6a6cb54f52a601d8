import { InvalidArgumentError, Option } from 'commander';
import { configSchema } from '@wlm/commons/config';
import { serveMetrics } from '@wlm/commons/metrics';
import type { MetricsServer, ServiceEndpointsOptions } from '@wlm/commons/metrics';

/** A TCP port from 0 (any free one) to 65535. */
export function parsePort(value: string): number {
  const port = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError('expected a port from 0 to 65535');
  return port;
}

/** `--metrics-port`: a port, 0 for a free one, or `off`. */
export function parseMetricsPort(value: string): number | 'off' {
  if (value.trim() === 'off') return 'off';
  try {
    return parsePort(value);
  } catch {
    throw new InvalidArgumentError('expected a port from 0 to 65535, or off');
  }
}

/** The `--metrics-port` option of a service whose default is config `metrics.<configKey>`. */
export function metricsPortOption(configKey: 'schedulerPort' | 'workerPort'): Option {
  const defaultPort = configSchema.parse({}).metrics[configKey];
  const variable = configKey === 'schedulerPort' ? 'WLM_METRICS_SCHEDULER_PORT' : 'WLM_METRICS_WORKER_PORT';
  return new Option(
    '--metrics-port <port|off>',
    `serve /metrics, /healthz and /readyz on http://<http.host>:<port>; 0 picks a free port, off serves none ` +
      `(default config metrics.${configKey}, ${variable}, else ${defaultPort})`,
  ).argParser(parseMetricsPort);
}

/** Starts the endpoints unless the port is `off`. */
export async function startMetricsServer(
  port: number | 'off',
  host: string,
  endpoints: ServiceEndpointsOptions,
): Promise<MetricsServer | undefined> {
  return port === 'off' ? undefined : serveMetrics(endpoints, { host, port });
}

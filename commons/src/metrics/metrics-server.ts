import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../errors/config-error';
import { formatHostPort } from '../net/host-port';
import { serviceEndpoints } from './service-endpoints';
import type { ServiceEndpointsOptions } from './service-endpoints';

export interface MetricsServer {
  /** The bound address of the metrics, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** The bound port (the one picked when 0 was asked). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `/metrics`, `/healthz` and `/readyz` ({@link serviceEndpoints}) for services that have no
 * HTTP server of their own (scheduler, workers). Port 0 picks a free port.
 *
 * @throws ConfigError `metrics.port` when the port is taken or cannot be bound.
 */
export function serveMetrics(
  endpoints: ServiceEndpointsOptions,
  options: { host: string; port: number },
): Promise<MetricsServer> {
  const handle = serviceEndpoints(endpoints);
  const server = createServer((request, response) => {
    if (handle(request, response)) return;
    response
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('not found; this port serves /metrics, /healthz and /readyz\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE' ? 'it is in use (another wlm service on this host?)' : error.message;
      reject(
        new ConfigError(
          'metrics.port',
          `cannot serve metrics on ${formatHostPort(options)}: ${why}; choose another port, 0 for a free one, or off`,
        ),
      );
    });
    server.listen(options.port, options.host, () => {
      const { address, port } = server.address() as AddressInfo;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://${formatHostPort({ host: address, port })}/metrics`,
        port,
        close: () =>
          (closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          })),
      });
    });
  });
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { ServiceState } from '../lifecycle/service-lifecycle';
import { checkReadiness } from './readiness';
import type { DependencyProbe } from './readiness';

/** A service's lifecycle state and what names it. */
export type ServiceStatus = { readonly lifecycle: ServiceState } & Readonly<Record<string, unknown>>;

export interface ServiceEndpointsOptions {
  /** What `/metrics` serves. */
  registry: Registry;
  /** Read on every `/healthz` and `/readyz`: the state, plus fields that identify the instance. */
  status: () => ServiceStatus;
  /** What `/readyz` checks besides the state. */
  probes: readonly DependencyProbe[];
}

/** Handles the request and returns true when it is one of the three endpoints; false otherwise. */
export type ServiceEndpointHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

/** The paths every wlm service answers, whatever else it serves. */
export const SERVICE_ENDPOINT_PATHS = ['/metrics', '/healthz', '/readyz'] as const;

/** Alive: the process runs its state machine; stopped or failed means it should be restarted. */
const ALIVE_STATES: ReadonlySet<ServiceState> = new Set(['starting', 'running', 'draining']);

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

/**
 * `/metrics` (Prometheus text), `/healthz` (alive: 200 unless the service stopped or failed) and
 * `/readyz` (200 only while it runs and every dependency answers; 503 naming the ones that do not).
 * The same handler serves the scheduler's and workers' own metrics port and sits in front of the
 * orchestrator's API, so the three answer alike everywhere. None needs a token: probes and
 * Prometheus scrapers have none, and nothing here is secret.
 */
export function serviceEndpoints(options: ServiceEndpointsOptions): ServiceEndpointHandler {
  return (request, response) => {
    const path = request.url?.split('?', 1)[0];
    if (request.method !== 'GET' || !SERVICE_ENDPOINT_PATHS.some((known) => known === path)) return false;
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        (error: unknown) =>
          response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`),
      );
    } else if (path === '/healthz') {
      const status = options.status();
      const alive = ALIVE_STATES.has(status.lifecycle);
      sendJson(response, alive ? 200 : 503, { status: alive ? 'ok' : 'unavailable', ...status });
    } else {
      void checkReadiness(options.probes).then((readiness) => {
        // Read after the probes: a state that changed meanwhile is the one that counts.
        const status = options.status();
        const ready = readiness.ready && status.lifecycle === 'running';
        sendJson(response, ready ? 200 : 503, {
          status: ready ? 'ok' : 'unavailable',
          ...status,
          down: readiness.down,
          checks: readiness.checks,
        });
      });
    }
    return true;
  };
}

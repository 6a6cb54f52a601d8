import type { ApiToken, Logger } from '@wlm/commons';
import express from 'express';
import type { Express } from 'express';
import type { DagStore } from '../domain/dag-store';
import type { StateStore } from '../domain/state-store';
import type { DagCatalog } from '../engine/dag-catalog';
import type { Engine } from '../engine/engine';
import { ApiError } from './api-error';
import { bearerAuth } from './bearer-auth';
import { dagRoutes } from './dag-routes';
import { errorHandler, notFound } from './error-handler';
import { experimentRoutes } from './experiment-routes';
import { checkHealth } from './health';
import type { DependencyProbe } from './health';

export interface AppDeps {
  engine: Engine;
  states: StateStore;
  dags: DagStore;
  catalog: DagCatalog;
  /** config `api.tokens`. */
  tokens: readonly ApiToken[];
  probes: readonly DependencyProbe[];
  /** What `/healthz` says about this instance besides its dependencies. */
  status: () => { lifecycle: string; leader: boolean; instance: string };
  logger: Logger;
}

/**
 * The REST API (DESIGN.md, Contract). `/healthz` is open so that load balancers and `wlm` can probe
 * it; everything under `/api` needs a bearer token with the scope the route needs (route-scopes.ts).
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.get('/healthz', async (_request, response) => {
    const health = await checkHealth(deps.probes);
    const status = deps.status();
    const ready = health.ready && status.lifecycle === 'running';
    response.status(ready ? 200 : 503).json({
      status: ready ? 'ok' : 'unavailable',
      ...status,
      down: Object.entries(health.checks)
        .filter(([, check]) => !check.ok)
        .map(([name]) => name),
      checks: health.checks,
    });
  });

  app.get('/metrics', () => {
    // prom-client is not a dependency yet; answer in the API's format rather than with an HTML 404.
    throw new ApiError(501, 'NOT_IMPLEMENTED', 'metrics are not implemented yet');
  });

  const api = express.Router();
  api.use(bearerAuth(deps.tokens));
  api.use('/dags', dagRoutes(deps.engine, deps.dags));
  api.use('/experiments', experimentRoutes(deps));
  api.get('/workers', () => {
    throw new ApiError(
      501,
      'NOT_IMPLEMENTED',
      'the orchestrator has no worker registry yet: workers are known to the scheduler (Serf); see `wlm stack status`',
    );
  });
  app.use('/api', api);

  app.use(notFound);
  app.use(errorHandler(deps.logger.child({ component: 'api' })));
  return app;
}

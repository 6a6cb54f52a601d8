import { serviceEndpoints } from '@wlm/commons';
import type { ApiToken, Logger, ServiceEndpointsOptions } from '@wlm/commons';
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

export interface AppDeps {
  engine: Engine;
  states: StateStore;
  dags: DagStore;
  catalog: DagCatalog;
  /** config `api.tokens`. */
  tokens: readonly ApiToken[];
  /** `/metrics`, `/healthz` and `/readyz`: the same endpoints as every wlm service's. */
  endpoints: ServiceEndpointsOptions;
  logger: Logger;
}

/**
 * The REST API (docs/orchestrator-api.md). `/metrics`, `/healthz` and `/readyz` are open so that
 * Prometheus, load balancers and `wlm` can reach them; everything under `/api` needs a bearer token
 * with the scope the route needs (route-scopes.ts).
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  const endpoints = serviceEndpoints(deps.endpoints);
  app.use((request, response, next) => {
    if (!endpoints(request, response)) next();
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

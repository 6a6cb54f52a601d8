import { serviceEndpoints } from '@wlm/commons/metrics';
import type { DeadLetterQueue } from '@wlm/commons/amqp';
import type { ApiToken } from '@wlm/commons/config';
import type { Logger } from '@wlm/commons/logging';
import type { ServiceEndpointsOptions } from '@wlm/commons/metrics';
import express from 'express';
import type { Express } from 'express';
import type { DagStore } from '../domain/dag-store';
import type { StateStore } from '../domain/state-store';
import type { DagCatalog } from '../engine/dag-catalog';
import type { Engine } from '../engine/engine';
import { bearerAuth } from './bearer-auth';
import { dagRoutes } from './dag-routes';
import { errorHandler, notFound } from './error-handler';
import { experimentRoutes } from './experiment-routes';
import type { ChangeFeed } from './change-feed';
import { consoleRoutes } from './console-routes';
import { deadLetterRoutes } from './dead-letter-routes';
import { streamRoutes } from './stream-routes';
import { workerRoutes } from './worker-routes';

export interface AppDeps {
  engine: Engine;
  states: StateStore;
  dags: DagStore;
  catalog: DagCatalog;
  /** The AMQP namespace of the installation: whose workers `/api/workers` lists. */
  namespace: string;
  /** What `/api/stream` reports. */
  feed: ChangeFeed;
  /** The installation's dead-letter queue, for `/api/dead-letters`. */
  deadLetters: DeadLetterQueue;
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

  // Every route of the API, in one place; the scope each needs is in route-scopes.ts.
  const api = express.Router();
  api.use(bearerAuth(deps.tokens));
  api.use('/dags', dagRoutes(deps.engine, deps.dags));
  api.use('/experiments', experimentRoutes(deps));
  api.use('/workers', workerRoutes(deps.states, deps.namespace));
  api.use('/stream', streamRoutes(deps.feed));
  api.use('/dead-letters', deadLetterRoutes(deps.deadLetters));
  app.use('/api', api);
  app.use(consoleRoutes());

  app.use(notFound);
  app.use(errorHandler(deps.logger.child({ module: 'api' })));
  return app;
}

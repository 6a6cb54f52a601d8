import type { DeadLetterQueue, Logger } from '@wlm/commons';
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
import type { ChangeFeed } from './change-feed';
import { consoleRoutes } from './console-routes';
import { deadLetterRoutes } from './dead-letter-routes';
import { checkHealth } from './health';
import { streamRoutes } from './stream-routes';
import { workerRoutes } from './worker-routes';
import type { DependencyProbe } from './health';

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
  tokens: readonly string[];
  probes: readonly DependencyProbe[];
  /** What `/healthz` says about this instance besides its dependencies. */
  status: () => { lifecycle: string; leader: boolean; instance: string };
  logger: Logger;
}

/**
 * The REST API (DESIGN.md, Contract). `/healthz` is open so that load balancers and `wlm` can probe
 * it; everything under `/api` needs a bearer token.
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

  // Every route of the API, in one place: each needs a bearer token.
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
  app.use(errorHandler(deps.logger.child({ component: 'api' })));
  return app;
}

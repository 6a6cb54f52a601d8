import type { WorkersResponse } from '@wlm/commons/api';
import express from 'express';
import type { Router } from 'express';
import type { StateStore } from '../domain/state-store';

/**
 * `GET /api/workers`: the worker directory the scheduler keeps in MySQL from its registry (Serf
 * membership plus the broker's view of each worker's queue), and its recent incidents.
 */
export function workerRoutes(states: StateStore, namespace: string): Router {
  const router = express.Router();
  router.get('/', async (_request, response) => {
    const directory: WorkersResponse = await states.listWorkers(namespace);
    response.json(directory);
  });
  return router;
}

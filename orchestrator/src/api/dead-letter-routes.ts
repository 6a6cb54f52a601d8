import type { DeadLetterQueue } from '@wlm/commons/amqp';
import express from 'express';
import type { Request, Router } from 'express';
import { badRequest } from './api-error';

/** Dead-letter ids are digests or ids a wlm consumer gave; anything longer is not one. */
const MAX_ID_LENGTH = 200;

function letterId(request: Request): string {
  const id = String(request.params['id']);
  if (id.length === 0 || id.length > MAX_ID_LENGTH) throw badRequest('path.id', 'is not a dead-letter id');
  return id;
}

/**
 * `GET /api/dead-letters`, `GET /api/dead-letters/:id`, `POST /api/dead-letters/:id/replay`: what
 * `wlm dlq list|show|replay` does, through the same {@link DeadLetterQueue}, for the console.
 * Browsing takes the messages unacknowledged and puts them back in place.
 */
export function deadLetterRoutes(deadLetters: DeadLetterQueue): Router {
  const router = express.Router();
  router.get('/', async (_request, response) => {
    response.json({ items: await deadLetters.list() });
  });
  router.get('/:id', async (request, response) => {
    response.json(await deadLetters.show(letterId(request)));
  });
  router.post('/:id/replay', async (request, response) => {
    response.json(await deadLetters.replay(letterId(request)));
  });
  return router;
}

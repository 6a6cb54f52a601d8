import express from 'express';
import type { Router } from 'express';
import type { ChangeFeed } from './change-feed';
import { experimentSummary } from './experiment-view';

/** A comment line this often keeps proxies and the browser from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/**
 * `GET /api/stream`: Server-Sent Events of what changes — `experiment` (its summary), `tasks`
 * (`{experimentId}`: read its view again), `workers` (read the directory again). The console
 * reads it with `fetch`, so the bearer token travels in the header as on every other route.
 */
export function streamRoutes(feed: ChangeFeed): Router {
  const router = express.Router();
  router.get('/', (request, response) => {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
    });
    const send = (event: string, data: unknown): void => {
      response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    send('ready', {});
    const unsubscribe = feed.subscribe({
      experiment: (experiment) => send('experiment', experimentSummary(experiment)),
      tasks: (change) => send('tasks', change),
      workers: () => send('workers', {}),
      closed: () => response.end(),
    });
    const keepalive = setInterval(() => response.write(': keepalive\n\n'), KEEPALIVE_MS);
    request.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
    });
  });
  return router;
}

import { dirname, join } from 'node:path';
import express from 'express';
import type { Router } from 'express';

/** The console's files: the page and styles (`console/public`), its compiled modules (`console/dist`). */
const CONSOLE_DIR = join(__dirname, '..', '..', 'console');

/**
 * The web console at `/` (docs/console.md): static files only, open like `/healthz` — every API
 * call they make sends the bearer token the user signed in with. Its two libraries are served from
 * node_modules (the machine may have no internet): dagre lays out the DAGs, yaml places validation
 * problems on the lines of an uploaded definition.
 */
export function consoleRoutes(): Router {
  const router = express.Router();
  const page = join(CONSOLE_DIR, 'public', 'index.html');
  const files = { index: false, fallthrough: true, maxAge: 0 } as const;
  router.use('/console/vendor/dagre.esm.js', (_request, response) =>
    response.sendFile(join(dirname(require.resolve('@dagrejs/dagre')), 'dagre.esm.js')),
  );
  router.use(
    '/console/vendor/yaml',
    express.static(join(dirname(require.resolve('yaml/package.json')), 'browser'), files),
  );
  router.use('/console', express.static(join(CONSOLE_DIR, 'dist'), files));
  router.use('/console', express.static(join(CONSOLE_DIR, 'public'), files));
  router.get('/', (_request, response) => response.sendFile(page));
  return router;
}

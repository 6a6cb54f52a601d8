import type { ApiScope } from '@wlm/commons/config';

/**
 * The scope each `/api` route needs — the one place to look, and to add to. Paths are relative to
 * `/api`, with `:name` for a path segment. A route not listed here needs `read` when it only reads
 * (GET, HEAD) and `admin` otherwise, so a route registered later is never open to a weaker token by
 * accident: give a new route that submits work a `submit` line here, and an admin page that only
 * reads an `admin` line.
 */
export const ROUTE_SCOPES: readonly RouteScope[] = [
  { method: 'POST', path: '/experiments', scope: 'submit' },
  { method: 'POST', path: '/experiments/batch', scope: 'submit' },
  { method: 'POST', path: '/experiments/:id/cancel', scope: 'submit' },
  { method: 'POST', path: '/experiments/:id/rerun', scope: 'submit' },
  { method: 'POST', path: '/experiments/:id/resume', scope: 'submit' },
  { method: 'POST', path: '/experiments/:id/tasks/:task/cancel', scope: 'submit' },
  { method: 'PUT', path: '/dags/:type', scope: 'admin' },
  // What the installation runs on, and what it could not deliver: for operators.
  { method: 'GET', path: '/dead-letters', scope: 'admin' },
  { method: 'GET', path: '/dead-letters/:id', scope: 'admin' },
  { method: 'GET', path: '/admin/:rest', scope: 'admin' },
];

export interface RouteScope {
  readonly method: string;
  readonly path: string;
  readonly scope: ApiScope;
}

const READ_METHODS = new Set(['GET', 'HEAD']);

function pattern(path: string): RegExp {
  const escaped = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  // Express matches routes ignoring case and a trailing slash; so must this, or `GET /api/Dead-Letters`
  // would reach an admin route with the scope of an unlisted one.
  return new RegExp(`^${escaped.join('/')}/?$`, 'i');
}

const COMPILED = ROUTE_SCOPES.map((route) => ({ ...route, pattern: pattern(route.path) }));

/** What a request to `path` (relative to `/api`) with `method` needs; see {@link ROUTE_SCOPES}. */
export function scopeFor(method: string, path: string): { scope: ApiScope; route: string } {
  const upper = method.toUpperCase();
  const listed = COMPILED.find((route) => route.method === upper && route.pattern.test(path));
  if (listed !== undefined) return { scope: listed.scope, route: `${upper} /api${listed.path}` };
  return { scope: READ_METHODS.has(upper) ? 'read' : 'admin', route: `${upper} /api${path}` };
}

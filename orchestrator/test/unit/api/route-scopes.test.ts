import { apiTokensSchema } from '@wlm/commons/config';
import { checkExposure, isLoopbackHost } from '../../../src/api/exposure-check';
import { scopeFor } from '../../../src/api/route-scopes';

describe('the scope each route needs', () => {
  it.each([
    ['GET', '/dags', 'read'],
    ['GET', '/dags/hpc-job', 'read'],
    ['GET', '/experiments', 'read'],
    ['GET', '/experiments/e-1', 'read'],
    ['GET', '/experiments/e-1/audit', 'read'],
    ['GET', '/workers', 'read'],
    ['POST', '/experiments', 'submit'],
    ['POST', '/experiments/e-1/cancel', 'submit'],
    ['POST', '/experiments/e-1/rerun', 'submit'],
    ['POST', '/experiments/e-1/resume', 'submit'],
    ['PUT', '/dags/hpc-job', 'admin'],
    ['GET', '/dead-letters', 'admin'],
    ['GET', '/admin/anything', 'admin'],
    // Routes nobody listed: reading needs read, anything else admin.
    ['GET', '/experiments/e-1/logs', 'read'],
    ['POST', '/workers/w1/drain', 'admin'],
    ['DELETE', '/experiments/e-1', 'admin'],
    ['POST', '/experiments/e-1/cancel/extra', 'admin'],
    // As Express routes them: case and a trailing slash ignored.
    ['GET', '/Dead-Letters', 'admin'],
    ['PUT', '/DAGS/hpc-job/', 'admin'],
    ['POST', '/Experiments/', 'submit'],
  ])('%s /api%s needs %s', (method, path, scope) => {
    expect(scopeFor(method, path).scope).toBe(scope);
  });

  it('names the route as listed', () => {
    expect(scopeFor('post', '/experiments/e-1/cancel')).toEqual({
      scope: 'submit',
      route: 'POST /api/experiments/:id/cancel',
    });
  });
});

describe('the default token beyond the loopback address', () => {
  const defaults = apiTokensSchema.parse(undefined);
  const own = apiTokensSchema.parse([{ name: 'ops', secret: 'a-secret-of-our-own', scopes: ['admin'] }]);

  it.each(['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]'])('counts %s as loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['0.0.0.0', '::', '10.0.0.5', 'orchestrator.example.org', '128.0.0.1'])(
    'counts %s as exposed',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );

  it('refuses an exposed address with the default token, saying what to do', () => {
    expect(() => checkExposure('0.0.0.0', defaults)).toThrow(
      /^refusing to serve the API on 0\.0\.0\.0, which is not a loopback address, with the public default token "wlm-dev-token" \(api\.tokens, token "token-1"\): set api\.tokens/,
    );
  });

  it('allows the default token on loopback, and tokens of our own anywhere', () => {
    expect(() => checkExposure('127.0.0.1', defaults)).not.toThrow();
    expect(() => checkExposure('0.0.0.0', own)).not.toThrow();
  });
});

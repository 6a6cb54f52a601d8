import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { apiTokensSchema } from '@wlm/commons/config';
import { OrchestratorEnv } from './support/orchestrator-env';
import { useLeadingOrchestrator } from './support/leading-orchestrator';

/*
 * Named tokens with scopes on a real orchestrator: each route answers 403 naming the scope a token
 * lacks, and the audit trail names the token that acted, never its secret. And `wlm orchestrator`
 * refuses to listen beyond the loopback address with the public default token.
 */

const CLI = join(__dirname, '..', '..', '..', 'scripts', 'dist', 'cli.js');
const SECRETS = {
  reader: 'reader-secret-0123',
  submitter: 'submitter-secret-0123',
  admin: 'admin-secret-0123',
};
const env = new OrchestratorEnv('scopes');
const pair = env.type('pair');

const tokens = apiTokensSchema.parse([
  { name: 'reader', secret: SECRETS.reader, scopes: ['read'] },
  { name: 'submitter', secret: SECRETS.submitter, scopes: ['submit'] },
  { name: 'admin', secret: SECRETS.admin, scopes: ['admin'] },
]);
useLeadingOrchestrator(env, { start: { config: { ...env.config, api: { tokens } } }, completeTasks: true });

const definition = { type: pair, tasks: [{ id: 'a', type: 'echo' }] };

describe('scopes', () => {
  // [method, path, body, the scope it needs]
  const routes: [string, string, unknown, 'read' | 'submit' | 'admin'][] = [
    ['PUT', `/api/dags/${pair}`, definition, 'admin'],
    ['GET', '/api/dags', undefined, 'read'],
    ['GET', `/api/dags/${pair}`, undefined, 'read'],
    ['POST', '/api/experiments', { type: pair }, 'submit'],
    ['GET', '/api/experiments', undefined, 'read'],
    ['GET', '/api/experiments/some-id', undefined, 'read'],
    ['GET', '/api/experiments/some-id/audit', undefined, 'read'],
    ['POST', '/api/experiments/some-id/cancel', {}, 'submit'],
    ['POST', '/api/experiments/some-id/rerun', {}, 'submit'],
    ['POST', '/api/experiments/some-id/resume', {}, 'submit'],
    ['GET', '/api/workers', undefined, 'read'],
  ];
  const rank = { read: 0, submit: 1, admin: 2 };
  const scopeOf = { reader: 'read', submitter: 'submit', admin: 'admin' } as const;

  it.each(routes.map(([method, path, body, scope]) => ({ method, path, body, scope })))(
    '$method $path needs $scope, and refuses weaker tokens with 403 naming it',
    async ({ method, path, body, scope }) => {
      for (const name of ['reader', 'submitter', 'admin'] as const) {
        const response = await env.request(path, { method, body, token: SECRETS[name] });
        if (rank[scopeOf[name]] >= rank[scope]) {
          expect([response.status, name]).not.toEqual([403, name]);
          expect(response.status).not.toBe(401);
        } else {
          expect(response.status).toBe(403);
          expect(response.body).toEqual({
            error: {
              code: 'FORBIDDEN',
              scope,
              message: expect.stringMatching(
                new RegExp(`^token "${name}" lacks the scope "${scope}" that ${method} /api/.* needs`),
              ),
            },
          });
        }
      }
    },
  );

  it('records in the audit trail which token acted, by name, never its secret', async () => {
    const put = await env.request(`/api/dags/${pair}`, {
      method: 'PUT',
      body: definition,
      token: SECRETS.admin,
    });
    expect(put.status).toBe(201);
    const created = await env.request('/api/experiments', {
      body: { type: pair, priority: 5 },
      token: SECRETS.submitter,
    });
    expect(created.status).toBe(201);
    const id = String(created.body['id']);
    await env.until('the experiment to end', async () =>
      ['COMPLETED', 'FAILED'].includes(
        String((await env.request(`/api/experiments/${id}`, { token: SECRETS.reader })).body['state']),
      ),
    );
    const rerun = await env.request(`/api/experiments/${id}/rerun`, {
      method: 'POST',
      body: {},
      token: SECRETS.admin,
    });
    expect(rerun.status).toBe(200);
    const audit = await env.request(`/api/experiments/${id}/audit?limit=100`, { token: SECRETS.reader });
    const items = audit.body['items'] as { type: string; actor: string }[];
    expect(items.find((item) => item.type === 'experiment.created')?.actor).toBe('api:submitter');
    expect(items.some((item) => item.actor === 'api:admin')).toBe(true);
    expect(JSON.stringify(audit.body)).not.toMatch(/secret-0123/);
  });
});

describe('wlm orchestrator beyond the loopback address', () => {
  it('refuses to start with the default token, saying what to do', async () => {
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [CLI, 'orchestrator'],
        {
          env: {
            ...process.env,
            WLM_CONFIG: '',
            WLM_API_TOKEN: '',
            WLM_HTTP_HOST: '0.0.0.0',
            WLM_HTTP_PORT: '1',
          },
          timeout: 30_000,
        },
        (error, _stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stderr }),
      );
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'wlm: refusing to serve the API on 0.0.0.0, which is not a loopback address, with the public default token "wlm-dev-token"',
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

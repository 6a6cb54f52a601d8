import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OrchestratorEnv } from './support/orchestrator-env';
import { echoChain, useLeadingOrchestrator } from './support/leading-orchestrator';

const env = new OrchestratorEnv('api');
const chain = env.type('chain');

useLeadingOrchestrator(env, { dags: [echoChain(chain)], completeTasks: true });

const yaml = (text: string) => ({ raw: { text, contentType: 'text/yaml' }, method: 'PUT' });

describe('authentication', () => {
  const routes: [string, string][] = [
    ['PUT', '/api/dags/x'],
    ['GET', '/api/dags'],
    ['GET', '/api/dags/x'],
    ['POST', '/api/experiments'],
    ['GET', '/api/experiments'],
    ['GET', '/api/experiments/some-id'],
    ['GET', '/api/experiments/some-id/audit'],
    ['POST', '/api/experiments/some-id/cancel'],
    ['POST', '/api/experiments/some-id/rerun'],
    ['POST', '/api/experiments/some-id/resume'],
    ['GET', '/api/workers'],
  ];

  it.each(routes)('%s %s answers 401 in JSON without a token or with a wrong one', async (method, path) => {
    for (const token of [null, 'not-the-token-at-all']) {
      const response = await env.request(path, { method, token });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
    }
  });

  it('leaves /readyz open and reports every dependency', async () => {
    const response = await env.request('/readyz', { token: null });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      lifecycle: 'running',
      leader: true,
      down: [],
      checks: { mysql: { ok: true }, neo4j: { ok: true }, rabbitmq: { ok: true } },
    });
  });

  it('leaves /healthz open: alive, without asking the dependencies', async () => {
    const response = await env.request('/healthz', { token: null });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'ok',
      lifecycle: 'running',
      leader: true,
      instance: expect.any(String),
    });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await env.request('/api/nothing-here');
    expect(response.status).toBe(404);
    expect(response.body['error']).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers /api/workers with an empty directory before any scheduler wrote one', async () => {
    const response = await env.request('/api/workers');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ items: [], incidents: [] });
  });
});

describe('PUT /api/dags/:type', () => {
  async function rejected(type: string, text: string): Promise<{ message: string; problems: string[] }> {
    const response = await env.request(`/api/dags/${type}`, yaml(text));
    expect(response.status).toBe(400);
    expect(response.body['error']).toMatchObject({ code: 'DAG_INVALID' });
    // Nothing stored.
    expect((await env.request(`/api/dags/${type}`)).status).toBe(404);
    return response.body['error'] as { message: string; problems: string[] };
  }

  it('names the cycle of a cyclic DAG', async () => {
    const type = env.type('cyclic');
    const error = await rejected(
      type,
      `type: ${type}\ntasks:\n  - { id: a, type: echo, after: [c] }\n  - { id: b, type: echo, after: [a] }\n  - { id: c, type: echo, after: [b] }\n`,
    );
    expect(error.message).toMatch(/cycle: a -> b -> c -> a/);
  });

  it('names an unknown dependency and a duplicate id', async () => {
    const type = env.type('broken');
    const error = await rejected(
      type,
      `type: ${type}\ntasks:\n  - { id: a, type: echo }\n  - { id: a, type: echo }\n  - { id: b, type: echo, after: [ghost] }\n`,
    );
    expect(error.problems.join('\n')).toMatch(/duplicate task id "a"/);
    expect(error.problems.join('\n')).toMatch(/ghost/);
  });

  it('reports a YAML syntax error with its line, and a JSON one', async () => {
    const type = env.type('syntax');
    expect((await rejected(type, `type: ${type}\ntasks: [\n`)).message).toMatch(/line \d+/);
    const response = await env.request(`/api/dags/${type}`, {
      method: 'PUT',
      raw: { text: '{"type": "x",', contentType: 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(response.body['error']).toMatchObject({ code: 'DAG_INVALID' });
  });

  it('refuses a body whose type is not the one in the path', async () => {
    const response = await env.request(
      `/api/dags/${env.type('one')}`,
      yaml(`type: ${env.type('other')}\ntasks: [{ id: a, type: echo }]`),
    );
    expect(response.status).toBe(400);
    expect(response.body['error']).toMatchObject({ code: 'BAD_REQUEST', field: 'body.type' });
    expect((await env.request(`/api/dags/${env.type('one')}`)).status).toBe(404);
  });

  it('refuses a bad type in the path and an unsupported content type', async () => {
    const bad = await env.request(
      '/api/dags/9-starts-with-a-digit',
      yaml('type: x\ntasks: [{ id: a, type: echo }]'),
    );
    expect(bad.status).toBe(400);
    expect(bad.body['error']).toMatchObject({ field: 'path.type' });
    const form = await env.request(`/api/dags/${env.type('form')}`, {
      method: 'PUT',
      raw: { text: 'a=b', contentType: 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
  });

  it('stores versions: each put is the next, every version stays readable, experiments pin one', async () => {
    const type = env.type('versioned');
    const first = await env.request(
      `/api/dags/${type}`,
      yaml(`type: ${type}\ndescription: one\ntasks: [{ id: a, type: echo }]`),
    );
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ type, version: 1, description: 'one' });
    const id = await env.submit(type);
    const second = await env.request(`/api/dags/${type}`, {
      method: 'PUT',
      body: { type, description: 'two', tasks: [{ id: 'x', type: 'echo' }] },
    });
    expect(second.body).toMatchObject({ version: 2 });
    expect((await env.request(`/api/dags/${type}`)).body).toMatchObject({ version: 2, description: 'two' });
    expect((await env.request(`/api/dags/${type}?version=1`)).body).toMatchObject({
      version: 1,
      definition: { tasks: [{ id: 'a', type: 'echo' }] },
    });
    const listed = (await env.request('/api/dags')).body['items'] as { type: string }[];
    expect(listed.find((item) => item.type === type)).toMatchObject({
      latestVersion: 2,
      versions: 2,
      description: 'two',
    });
    const done = await env.waitForState(id, 'COMPLETED');
    expect(done.dagVersion).toBe(1);
    expect(done.tasks.map((task) => task.taskId)).toEqual(['a']);
    const later = await env.waitForState(await env.submit(type), 'COMPLETED');
    expect(later.dagVersion).toBe(2);
  });

  it('answers 404 for an unknown type or version and 400 for a bad version', async () => {
    expect((await env.request(`/api/dags/${env.type('unknown')}`)).status).toBe(404);
    expect((await env.request(`/api/dags/${chain}?version=99`)).status).toBe(404);
    const bad = await env.request(`/api/dags/${chain}?version=first`);
    expect(bad.status).toBe(400);
    expect(bad.body['error']).toMatchObject({ field: 'query.version' });
  });
});

describe('POST /api/experiments', () => {
  it.each([
    [{ inputs: {} }, 'body.type', /is required/],
    [{ type: chain, priority: 12 }, 'body.priority', /0–9/],
    [{ type: chain, priority: 'high' }, 'body.priority', /./],
    [{ type: chain, inputs: [] }, 'body.inputs', /./],
    [{ type: chain, colour: 'red' }, 'body', /unknown field colour/],
    [{ type: chain, idempotencyKey: '' }, 'body.idempotencyKey', /empty/],
    [[1, 2], 'body', /JSON object/],
  ])('answers 400 naming the field for %j', async (body, field, message) => {
    const response = await env.request('/api/experiments', { body });
    expect(response.status).toBe(400);
    expect(response.body['error']).toMatchObject({ code: 'BAD_REQUEST', field });
    expect(String((response.body['error'] as { message: string }).message)).toMatch(message);
  });

  it('answers 400 for malformed JSON and 404 for an unknown experiment type', async () => {
    const malformed = await env.request('/api/experiments', {
      raw: { text: '{"type":', contentType: 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body['error']).toMatchObject({ field: 'body' });
    const unknown = await env.request('/api/experiments', { body: { type: env.type('nope') } });
    expect(unknown.status).toBe(404);
    expect(unknown.body['error']).toMatchObject({ code: 'DAG_NOT_FOUND' });
  });
});

describe('experiment reads', () => {
  it('lists experiments, filtered by state and type, and validates the filters', async () => {
    const id = await env.submit(chain);
    await env.waitForState(id, 'COMPLETED');
    const listed = await env.request(`/api/experiments?state=COMPLETED&type=${chain}&limit=100`);
    expect(listed.status).toBe(200);
    expect((listed.body['items'] as { id: string }[]).map((item) => item.id)).toContain(id);
    const none = await env.request(`/api/experiments?state=RUNNING&type=${chain}`);
    expect((none.body['items'] as { id: string }[]).map((item) => item.id)).not.toContain(id);
    for (const [query, field] of [
      ['state=BOGUS', 'query.state'],
      ['limit=0', 'query.limit'],
      ['colour=red', 'query'],
    ]) {
      const response = await env.request(`/api/experiments?${query}`);
      expect(response.status).toBe(400);
      expect(response.body['error']).toMatchObject({ field });
    }
  });

  it('answers 404 for unknown experiments on every experiment route, 400 for bad queries', async () => {
    for (const path of ['', '/audit']) {
      const response = await env.request(`/api/experiments/no-such-experiment${path}`);
      expect(response.status).toBe(404);
      expect(response.body['error']).toMatchObject({ code: 'EXPERIMENT_NOT_FOUND' });
    }
    for (const action of ['cancel', 'rerun', 'resume']) {
      const response = await env.request(`/api/experiments/no-such-experiment/${action}`, { method: 'POST' });
      expect(response.status).toBe(404);
    }
    const id = await env.submit(chain);
    expect((await env.request(`/api/experiments/${id}?run=zero`)).body['error']).toMatchObject({
      field: 'query.run',
    });
    expect((await env.request(`/api/experiments/${id}?run=5`)).status).toBe(400);
    expect((await env.request(`/api/experiments/${id}/audit?limit=x`)).body['error']).toMatchObject({
      field: 'query.limit',
    });
  });

  it('answers 409 when the state does not allow the action', async () => {
    const id = await env.submit(chain);
    await env.waitForState(id, 'COMPLETED');
    for (const action of ['cancel', 'resume']) {
      const response = await env.request(`/api/experiments/${id}/${action}`, { method: 'POST' });
      expect(response.status).toBe(409);
      expect(response.body['error']).toMatchObject({ code: 'EXPERIMENT_STATE_INVALID', state: 'COMPLETED' });
    }
    env.cluster.behave(() => ({ kind: 'hold' }));
    const running = await env.submit(chain);
    await env.waitForState(running, 'RUNNING');
    const rerun = await env.request(`/api/experiments/${running}/rerun`, { method: 'POST' });
    expect(rerun.status).toBe(409);
    expect((await env.request(`/api/experiments/${running}/cancel`, { method: 'POST' })).status).toBe(200);
  });
});

describe('POST /api/experiments checks inputs against their shapes', () => {
  const transfer = env.type('transfer');
  const valid = {
    from: 'archive',
    to: 'hpc',
    source: '/archive/wlm/input.csv',
    target: '/scratch/alice/wlm/input.csv',
    host: '127.0.0.1',
    port: 2222,
    user: 'alice',
  };

  beforeAll(async () => {
    const example = readFileSync(
      join(
        __dirname,
        '..',
        '..',
        '..',
        'scripts',
        'test',
        'fixtures',
        'dags',
        'transfer-verified-over-ssh.yaml',
      ),
      'utf8',
    );
    const response = await env.request(
      `/api/dags/${transfer}`,
      yaml(example.replace(/^type: .*$/m, `type: ${transfer}`)),
    );
    expect(response.status).toBe(201);
  });

  it('refuses a user that ssh would read as an option, naming the field and the rule, and creates nothing', async () => {
    const response = await env.request('/api/experiments', {
      body: {
        type: transfer,
        inputs: { ...valid, user: '-oProxyCommand=touch /tmp/wlm-pwned', target: '../../etc/x' },
      },
    });
    expect(response.status).toBe(400);
    expect(response.body['error']).toEqual({
      code: 'EXPERIMENT_INPUT_INVALID',
      message: expect.stringContaining(
        'inputs.user: "-oProxyCommand=touch /tmp/wlm-pwned" is not a user name',
      ),
      fields: ['inputs.target', 'inputs.user'],
      problems: [
        expect.stringMatching(/^inputs\.target: .* with no "\.\." segment/),
        expect.stringMatching(/^inputs\.user: /),
      ],
    });
    const listed = await env.request(`/api/experiments?type=${transfer}`);
    expect(listed.body['items']).toEqual([]);
  });

  it('accepts inputs of the declared shapes', async () => {
    const response = await env.request('/api/experiments', { body: { type: transfer, inputs: valid } });
    expect(response.status).toBe(201);
  });
});

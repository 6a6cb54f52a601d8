import { MAX_CONTEXT_BYTES, MAX_JSON_DEPTH } from '@wlm/commons';
import type { JsonValue } from '@wlm/commons';
import { OrchestratorEnv } from './support/orchestrator-env';

const env = new OrchestratorEnv('limits');

beforeAll(async () => {
  const orchestrator = await env.start();
  await env.leading(orchestrator);
});

afterAll(async () => {
  await env.cleanup();
});

beforeEach(() => {
  expect.hasAssertions();
  env.cluster.behave(() => ({ kind: 'complete' }));
});

/** `levels` objects nested in one another, a number at the bottom: `{ n: { n: 1 } }` is 2 levels. */
function nested(levels: number, bottom: JsonValue = 1): JsonValue {
  let value = bottom;
  for (let level = 0; level < levels; level += 1) value = { n: value };
  return value;
}

/**
 * YAML for a one-task DAG whose params take exactly `bytes` bytes as JSON: four aliases of one string
 * anchor expand to four times its length, so the body stays under the API's 2 MB.
 */
function sizedYaml(type: string, bytes: number): string {
  const overhead = '{"one":"","parts":["","",""],"pad":""}'.length;
  const chunk = Math.floor((bytes - overhead) / 4);
  const pad = bytes - overhead - 4 * chunk;
  return (
    `type: ${type}\ntasks:\n  - id: a\n    type: echo\n    params:\n` +
    `      one: &c "${'x'.repeat(chunk)}"\n      parts: [*c, *c, *c]\n      pad: "${'y'.repeat(pad)}"\n`
  );
}

async function putYaml(type: string, text: string) {
  return env.request(`/api/dags/${type}`, { method: 'PUT', raw: { text, contentType: 'text/yaml' } });
}

describe('PUT /api/dags/:type refuses params the wire would refuse', () => {
  it('refuses params nested 200 levels with a 400 naming the task and the limit; nothing is stored', async () => {
    const type = env.type('deep');
    const response = await env.request(`/api/dags/${type}`, {
      method: 'PUT',
      body: { type, tasks: [{ id: 'a', type: 'echo', params: nested(200) }] },
    });
    expect(response.status).toBe(400);
    expect(response.body['error']).toEqual({
      code: 'DAG_INVALID',
      message: `invalid DAG definition "${type}": task "a": params nested deeper than 64 levels (the wire's limit)`,
      problems: [`task "a": params nested deeper than 64 levels (the wire's limit)`],
    });
    expect((await env.request(`/api/dags/${type}`)).status).toBe(404);
  });

  it('refuses params one level past the depth limit', async () => {
    const type = env.type('deeper');
    const response = await env.request(`/api/dags/${type}`, {
      method: 'PUT',
      body: { type, tasks: [{ id: 'x', type: 'echo', params: nested(MAX_JSON_DEPTH + 1) }] },
    });
    expect(response.status).toBe(400);
    expect(response.body['error']).toMatchObject({
      problems: [`task "x": params nested deeper than 64 levels (the wire's limit)`],
    });
  });

  it('refuses params one byte past the size limit', async () => {
    const type = env.type('big');
    const response = await putYaml(type, sizedYaml(type, MAX_CONTEXT_BYTES + 1));
    expect(response.status).toBe(400);
    expect(response.body['error']).toMatchObject({
      code: 'DAG_INVALID',
      problems: [
        `task "a": params take at least ${MAX_CONTEXT_BYTES + 1} bytes as JSON, more than ${MAX_CONTEXT_BYTES} (the wire's limit)`,
      ],
    });
    expect((await env.request(`/api/dags/${type}`)).status).toBe(404);
  });

  it('accepts params at exactly the depth limit and runs them', async () => {
    const type = env.type('at-depth');
    await env.putDag({ type, tasks: [{ id: 'a', type: 'echo', params: nested(MAX_JSON_DEPTH) }] });
    // Outputs as deep would not fit MariaDB's JSON columns (31 levels at most): not the wire's limit.
    env.cluster.behave(() => ({ kind: 'complete', outputs: { ran: true } }));
    const id = await env.submit(type);
    await env.waitForState(id, 'COMPLETED');
    expect(env.cluster.requestsOf(id).map((request) => request.context)).toEqual([nested(MAX_JSON_DEPTH)]);
  });

  it('accepts params of exactly the size limit and runs them', async () => {
    const type = env.type('at-size');
    expect((await putYaml(type, sizedYaml(type, MAX_CONTEXT_BYTES))).status).toBe(201);
    const id = await env.submit(type);
    await env.waitForState(id, 'COMPLETED');
    const [request] = env.cluster.requestsOf(id);
    expect(Buffer.byteLength(JSON.stringify(request?.context))).toBe(MAX_CONTEXT_BYTES);
  });
});

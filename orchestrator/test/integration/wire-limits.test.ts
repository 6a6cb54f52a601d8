import { MAX_CONTEXT_BYTES, MAX_JSON_DEPTH } from '@wlm/commons/wire';
import type { JsonValue } from '@wlm/commons/wire';
import { OrchestratorEnv } from './support/orchestrator-env';
import { useLeadingOrchestrator } from './support/leading-orchestrator';

const env = new OrchestratorEnv('limits');

useLeadingOrchestrator(env, { completeTasks: true });

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
      message: `invalid DAG definition "${type}": task "a": params nested deeper than ${MAX_JSON_DEPTH} levels (the wire's limit)`,
      problems: [`task "a": params nested deeper than ${MAX_JSON_DEPTH} levels (the wire's limit)`],
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
      problems: [`task "x": params nested deeper than ${MAX_JSON_DEPTH} levels (the wire's limit)`],
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
    // Outputs as deep as the wire allows are stored too: the wire's depth limit is the store's.
    env.cluster.behave(() => ({ kind: 'complete', outputs: nested(MAX_JSON_DEPTH) }));
    const id = await env.submit(type);
    const completed = await env.waitForState(id, 'COMPLETED');
    expect(env.cluster.requestsOf(id).map((request) => request.context)).toEqual([nested(MAX_JSON_DEPTH)]);
    expect(completed.tasks[0]?.outputs).toEqual(nested(MAX_JSON_DEPTH));
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

describe('POST /api/experiments with inputs that would break a limit', () => {
  it('answers 400 naming the task and the limit, and creates nothing', async () => {
    const type = env.type('wrapped');
    await env.putDag({
      type,
      tasks: [
        { id: 'a', type: 'echo', params: { wrap: nested(10, '{{inputs.value}}') } },
        // Five copies of a 900 kB input: more than the wire's 4 MiB, in a body under the API's 1 MB.
        { id: 'b', type: 'echo', params: { copies: Array(5).fill('{{inputs.value}}') } },
      ],
    });
    const response = await env.request('/api/experiments', {
      body: { type, inputs: { value: nested(25) } },
    });
    expect(response.status).toBe(400);
    expect(response.body['error']).toMatchObject({
      code: 'EXPERIMENT_INPUT_INVALID',
      problems: [
        `task "a": params rendered with the inputs nested deeper than ${MAX_JSON_DEPTH} levels (the wire's limit)`,
      ],
    });
    const big = 'x'.repeat(900_000);
    const tooBig = await env.request('/api/experiments', { body: { type, inputs: { value: big } } });
    expect(tooBig.status).toBe(400);
    expect((tooBig.body['error'] as { problems: string[] }).problems).toEqual([
      expect.stringMatching(
        /^task "b": params rendered with the inputs take at least \d+ bytes as JSON, more than 4194304 \(the wire's limit\)$/,
      ),
    ]);
    const listed = await env.request(`/api/experiments?type=${type}`);
    expect(listed.body['items']).toEqual([]);
  });
});

describe('POST /api/experiments with inputs deeper than the state store holds', () => {
  it('answers 400 naming the field for inputs past 31 levels, and accepts them at 31', async () => {
    const type = env.type('plain');
    await env.putDag({ type, tasks: [{ id: 'a', type: 'echo' }] });
    // The inputs object is the first level.
    const tooDeep = await env.request('/api/experiments', { body: { type, inputs: { v: nested(31) } } });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body['error']).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'inputs',
      message: expect.stringContaining('nested deeper than 31 levels'),
    });
    await env.waitForState(await env.submit(type, { v: nested(30) }), 'COMPLETED');
  });
});

describe('a dispatch that fails for good', () => {
  it('fails the task and the experiment with the reason when upstream outputs render too deep', async () => {
    const type = env.type('deep-outputs');
    await env.putDag({
      type,
      tasks: [
        { id: 'a', type: 'echo' },
        { id: 'b', type: 'echo', after: ['a'], params: { wrap: nested(20, '{{tasks.a.outputs.deep}}') } },
      ],
    });
    env.cluster.behave(() => ({ kind: 'complete', outputs: { deep: nested(29) } }));
    const response = await env.request('/api/experiments', { body: { type } });
    expect(response.status).toBe(201);
    const id = String(response.body['id']);
    const failed = await env.waitForState(id, 'FAILED');
    expect(failed.failureReason).toBe(
      `task b cannot start: invalid TaskRequest: rendered params nested deeper than ${MAX_JSON_DEPTH} levels (the wire's limit)`,
    );
    expect(failed.tasks.find((task) => task.taskId === 'b')).toMatchObject({
      state: 'FAILED',
      runs: [
        {
          attempt: 1,
          state: 'FAILED',
          reason: expect.stringContaining(`nested deeper than ${MAX_JSON_DEPTH} levels`),
        },
      ],
    });
    expect(env.cluster.requestsOf(id).map((request) => request.taskId)).toEqual(['a']);
    expect(await env.db.count('running_experiments', 'experiment_id = ?', [id])).toBe(0);
  });

  it('fails them when upstream outputs render too large', async () => {
    const type = env.type('big-outputs');
    await env.putDag({
      type,
      tasks: [
        { id: 'a', type: 'echo' },
        {
          id: 'b',
          type: 'echo',
          after: ['a'],
          params: { one: '{{tasks.a.outputs.text}}', two: '{{tasks.a.outputs.text}}' },
        },
      ],
    });
    env.cluster.behave(() => ({ kind: 'complete', outputs: { text: 'x'.repeat(MAX_CONTEXT_BYTES / 2) } }));
    const id = await env.submit(type);
    const failed = await env.waitForState(id, 'FAILED');
    expect(failed.failureReason).toMatch(
      /^task b cannot start: invalid TaskRequest: rendered params take \d+ bytes as JSON, more than 4194304 \(the wire's limit\)$/,
    );
    expect(await env.db.count('running_experiments', 'experiment_id = ?', [id])).toBe(0);
  });
});

import { OrchestratorEnv } from './support/orchestrator-env';

/*
 * PUT /api/dags checks params against the plugins the orchestrator can load (the @wlm/task-*
 * packages of this repository) and the outputs templates name against the upstream plugins'
 * declared outputs; a 400 names the task and the field, and nothing is stored.
 */

const env = new OrchestratorEnv('plugincheck');

beforeAll(async () => {
  await env.start();
});

afterAll(async () => {
  await env.cleanup();
});

beforeEach(() => {
  expect.hasAssertions();
});

async function put(definition: { type: string } & Record<string, unknown>) {
  return env.request(`/api/dags/${definition.type}`, { method: 'PUT', body: definition });
}

it('refuses params the env-setup plugin does not take, naming the task and each field, and stores nothing', async () => {
  const type = env.type('old-cloud-job');
  const response = await put({
    type,
    tasks: [{ id: 'provision', type: 'env-setup', params: { host: '{{inputs.host}}', port: 2222 } }],
  });
  expect(response.status).toBe(400);
  expect(response.body['error']).toMatchObject({ code: 'DAG_INVALID' });
  const problems = (response.body['error'] as { problems: string[] }).problems;
  expect(problems).toEqual([
    expect.stringMatching(/^task "provision": missing required field "params.resource" \(plugin env-setup /),
    expect.stringMatching(/^task "provision": unknown field "host" in params \(plugin env-setup /),
    expect.stringMatching(/^task "provision": unknown field "port" in params \(plugin env-setup /),
  ]);
  expect((await env.request(`/api/dags/${type}`)).status).toBe(404);
});

it('refuses a template naming an output the upstream plugin does not declare', async () => {
  const response = await put({
    type: env.type('bad-output'),
    tasks: [
      { id: 'setup', type: 'env-setup', params: { resource: '{{inputs.resource}}' } },
      {
        id: 'stage',
        type: 'data-staging',
        after: ['setup'],
        params: {
          resource: '{{inputs.resource}}',
          direction: 'in',
          files: [{ source: '/tmp/in.txt', destination: '{{tasks.setup.outputs.workdir}}/' }],
        },
      },
    ],
  });
  expect(response.status).toBe(400);
  expect((response.body['error'] as { problems: string[] }).problems).toEqual([
    'task "stage": params.files[0].destination refers to output "workdir" of task "setup", which plugin ' +
      'env-setup does not declare (its outputs: inputsDir, logsDir, outputsDir, resource, workDir)',
  ]);
});

it('refuses a literal value of the wrong type beside templated ones', async () => {
  const response = await put({
    type: env.type('bad-literal'),
    tasks: [{ id: 'run', type: 'shell', params: { command: '{{inputs.command}}', args: 'not-a-list' } }],
  });
  expect(response.status).toBe(400);
  expect((response.body['error'] as { problems: string[] }).problems).toEqual([
    expect.stringMatching(
      /^task "run": params.args: expected a list, got a string \("not-a-list"\) \(plugin shell /,
    ),
  ]);
});

it('stores a DAG whose templated params and referenced outputs the plugins accept, and one of a type it has no plugin for', async () => {
  const good = await put({
    type: env.type('good'),
    tasks: [
      { id: 'setup', type: 'env-setup', params: { resource: '{{inputs.resource}}' } },
      {
        id: 'stage',
        type: 'data-staging',
        after: ['setup'],
        params: {
          resource: '{{inputs.resource}}',
          direction: 'in',
          files: [{ source: '{{inputs.file}}', destination: '{{tasks.setup.outputs.inputsDir}}/' }],
        },
      },
    ],
  });
  expect(good.status).toBe(201);
  const unknown = await put({
    type: env.type('unknown-type'),
    tasks: [{ id: 'a', type: 'nobody-has-this', params: { anything: [1, 2] } }],
  });
  expect(unknown.status).toBe(201);
});

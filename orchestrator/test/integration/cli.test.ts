import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrchestratorEnv } from './support/orchestrator-env';
import { ensureCliBuilt, runWlm } from './support/wlm-cli';
import type { CliRun } from './support/wlm-cli';

/** The `wlm` commands that are clients of the API, run as the built CLI against an orchestrator. */
const env = new OrchestratorEnv('cli');
const dir = mkdtempSync(join(tmpdir(), 'wlm-cli-test-'));
let port = '';

beforeAll(async () => {
  ensureCliBuilt();
  const orchestrator = await env.start();
  await env.leading(orchestrator);
  port = new URL(orchestrator.url).port;
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await env.cleanup();
});

beforeEach(() => {
  expect.hasAssertions();
  env.cluster.behave(() => ({ kind: 'complete' }));
});

function wlm(args: string[], httpPort = port): Promise<CliRun> {
  return runWlm(args, httpPort);
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

it('puts, lists and gets DAGs', async () => {
  const type = env.type('pair');
  const put = await wlm([
    'dag',
    'put',
    file(
      'pair.yaml',
      `type: ${type}\ntasks:\n  - { id: a, type: echo, params: { m: '{{inputs.msg}}' } }\n  - { id: b, type: echo, after: [a] }\n`,
    ),
  ]);
  expect(put).toMatchObject({ code: 0, stdout: `stored ${type} version 1\n` });
  const listed = await wlm(['dag', 'list', '--json']);
  expect(JSON.parse(listed.stdout)).toContainEqual(expect.objectContaining({ type, latestVersion: 1 }));
  const got = await wlm(['dag', 'get', type, '--version', '1']);
  expect(JSON.parse(got.stdout)).toMatchObject({ type, tasks: [{ id: 'a' }, { id: 'b' }] });
});

it('explains an invalid definition one problem per line, and exits 1', async () => {
  const type = env.type('cyclic');
  const put = await wlm([
    'dag',
    'put',
    file(
      'cyclic.yaml',
      `type: ${type}\ntasks:\n  - { id: a, type: echo, after: [b] }\n  - { id: b, type: echo, after: [a] }\n`,
    ),
  ]);
  expect(put.code).toBe(1);
  expect(put.stderr).toMatch(/is not a valid DAG definition:\n {2}- cycle: a -> b -> a/);
});

it('submits and waits: progress, the final table, exit 0 when COMPLETED and 1 when FAILED', async () => {
  const type = env.type('waited');
  await env.putDag({
    type,
    tasks: [
      { id: 'a', type: 'echo', params: { m: '{{inputs.msg}}' } },
      { id: 'b', type: 'echo', after: ['a'] },
    ],
  });
  const ok = await wlm(['submit', '--type', type, '--input', 'msg=hi', '--input', 'n=3', '--wait']);
  expect(ok.code).toBe(0);
  expect(ok.stderr).toMatch(/COMPLETED: 2 completed \(of 2 tasks\)/);
  expect(ok.stdout).toMatch(/state\s+COMPLETED/);
  const id = /experiment (\S+)/.exec(ok.stdout)?.[1] ?? '';
  expect((await env.experiment(id)).inputs).toEqual({ msg: 'hi', n: 3 });

  env.cluster.behave((request) =>
    request.taskId === 'b' ? { kind: 'fail', retryable: false, reason: 'no' } : { kind: 'complete' },
  );
  const failed = await wlm(['submit', '--type', type, '--input', 'msg=x', '--wait', '--json']);
  expect(failed.code).toBe(1);
  expect(JSON.parse(failed.stdout)).toMatchObject({
    state: 'FAILED',
    failureReason: expect.stringMatching(/task b failed/),
  });
});

it('shows status, cancels and resumes by id', async () => {
  const type = env.type('held');
  await env.putDag({ type, tasks: [{ id: 'a', type: 'echo' }] });
  env.cluster.behave(() => ({ kind: 'hold' }));
  const submitted = await wlm(['submit', '--type', type, '--priority', '9']);
  const id = submitted.stdout.trim();
  expect(JSON.parse((await wlm(['status', id, '--json'])).stdout)).toMatchObject({ id, priority: 9 });
  expect((await wlm(['status', id])).stdout).toMatch(/TASK\s+TYPE\s+STATE/);
  expect((await wlm(['cancel', id])).stdout).toBe(`experiment ${id} is CANCELLED (run 1)\n`);
  const again = await wlm(['cancel', id]);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/cannot cancel experiment .* it is CANCELLED/);
  env.cluster.behave(() => ({ kind: 'complete' }));
  expect((await wlm(['resume', id])).stdout).toMatch(/is RUNNING/);
  await env.waitForState(id, 'COMPLETED');
});

it('says how to start the orchestrator when none answers', async () => {
  const run = await wlm(['status', 'x'], '1');
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/not reachable at http:\/\/127\.0\.0\.1:1: start it with `wlm orchestrator`/);
});

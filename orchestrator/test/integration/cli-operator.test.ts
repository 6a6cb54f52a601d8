import { OrchestratorEnv } from './support/orchestrator-env';
import { ensureCliBuilt, runWlm } from './support/wlm-cli';
import type { CliRun } from './support/wlm-cli';

/*
 * `wlm experiments` and `wlm audit`, the built CLI against a real orchestrator (its own database, so
 * the lists hold exactly this file's experiments).
 */

const env = new OrchestratorEnv('cliops');
let port = '';
const ids = { first: '', second: '', failed: '', running: '' };
let sweep = '';
let single = '';

function wlm(args: string[]): Promise<CliRun> {
  return runWlm(args, port);
}

/** The data rows of a table (the header left out), cut where the header's columns start. */
function rows(stdout: string): string[][] {
  const [header = '', ...lines] = stdout.trimEnd().split('\n');
  const starts = [...header.matchAll(/\S+/g)].map((match) => match.index);
  return lines.map((line) =>
    starts.map((start, index) => line.slice(start, starts[index + 1] ?? line.length).trim()),
  );
}

beforeAll(async () => {
  ensureCliBuilt();
  const orchestrator = await env.start();
  await env.leading(orchestrator);
  port = new URL(orchestrator.url).port;
  sweep = env.type('pair');
  single = env.type('single');
  await env.putDag({
    type: sweep,
    tasks: [
      { id: 'a', type: 'echo' },
      { id: 'b', type: 'echo', after: ['a'] },
    ],
  });
  await env.putDag({ type: single, tasks: [{ id: 'x', type: 'echo' }] });
  env.cluster.behave(() => ({ kind: 'complete' }));
  ids.first = await env.submit(sweep);
  await env.waitForState(ids.first, 'COMPLETED');
  ids.second = await env.submit(sweep);
  await env.waitForState(ids.second, 'COMPLETED');
  env.cluster.behave(() => ({ kind: 'fail', retryable: false, reason: 'the input is empty' }));
  ids.failed = await env.submit(single);
  await env.waitForState(ids.failed, 'FAILED');
  env.cluster.behave(() => ({ kind: 'hold' }));
  ids.running = await env.submit(single);
  await env.waitForState(ids.running, 'RUNNING');
});

afterAll(async () => {
  await env.cleanup();
});

beforeEach(() => {
  expect.hasAssertions();
});

describe('wlm experiments', () => {
  it('lists every experiment newest first in a table', async () => {
    const run = await wlm(['experiments']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(
      /^ID\s+TYPE\s+STATE\s+RUN\s+PRIORITY\s+CREATED\s+ENDED\s+REASON$/,
    );
    expect(rows(run.stdout).map((row) => [row[0], row[1], row[2]])).toEqual([
      [ids.running, single, 'RUNNING'],
      [ids.failed, single, 'FAILED'],
      [ids.second, sweep, 'COMPLETED'],
      [ids.first, sweep, 'COMPLETED'],
    ]);
    expect(rows(run.stdout)[1]?.at(-1)).toMatch(/task x failed.*the input is empty/);
  });

  it('filters by state and type, and prints JSON for scripts', async () => {
    const completed = await wlm(['experiments', '--state', 'COMPLETED', '--json']);
    expect((JSON.parse(completed.stdout) as { id: string }[]).map((e) => e.id)).toEqual([
      ids.second,
      ids.first,
    ]);
    const ofType = await wlm(['experiments', '--type', single]);
    expect(rows(ofType.stdout).map((row) => row[0])).toEqual([ids.running, ids.failed]);
    const both = await wlm(['experiments', '--state', 'FAILED', '--type', single, '--json']);
    expect(JSON.parse(both.stdout)).toEqual([
      expect.objectContaining({ id: ids.failed, state: 'FAILED', type: single, run: 1 }),
    ]);
    expect((await wlm(['experiments', '--type', env.type('none')])).stdout).toBe('no experiments\n');
  });

  it('stops at --limit and says that more exist', async () => {
    const run = await wlm(['experiments', '--limit', '1']);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(new RegExp(`^${ids.running} `));
    expect(lines[2]).toBe('(the 1 newest; --limit N shows more)');
  });

  it('refuses a state that does not exist, naming the ones that do', async () => {
    const run = await wlm(['experiments', '--state', 'DONE']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Allowed choices are PENDING, RUNNING, COMPLETED, FAILED, CANCELLED/);
  });
});

describe('wlm audit', () => {
  it('shows the trail oldest first: creation, transitions, dispatches and the failure with its reason', async () => {
    const run = await wlm(['audit', ids.failed]);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(/^AT\s+EVENT\s+TASK\s+STATE\s+ACTOR\s+REASON$/);
    const trail = rows(run.stdout).map((row) => row.slice(1, 4).join(' | '));
    expect(trail).toEqual([
      'experiment.created |  | PENDING',
      'experiment.transitioned |  | PENDING → RUNNING',
      'task.dispatched | x | QUEUED',
      'task.transitioned | x | RUNNING',
      'task.transitioned | x | FAILED',
      'experiment.transitioned |  | RUNNING → FAILED',
    ]);
    const failure = rows(run.stdout).find((row) => row[1] === 'task.transitioned' && row[3] === 'FAILED');
    expect(failure?.[5]).toMatch(/the input is empty/);
  });

  it('prints JSON entries with their details, and stops at --limit', async () => {
    const all = JSON.parse((await wlm(['audit', ids.failed, '--json'])).stdout) as {
      type: string;
      details: unknown;
    }[];
    expect(all[0]).toMatchObject({ type: 'experiment.created' });
    expect(all.find((entry) => entry.type === 'task.dispatched')?.details).toMatchObject({
      taskType: 'echo',
    });
    const limited = await wlm(['audit', ids.failed, '--limit', '2']);
    expect(limited.stdout.trimEnd().split('\n')).toHaveLength(4);
    expect(limited.stdout).toMatch(/\(the first 2; --limit N shows more\)\n$/);
  });

  it('names an experiment that does not exist', async () => {
    const run = await wlm(['audit', '00000000-0000-4000-8000-000000000000']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^wlm: .*00000000-0000-4000-8000-000000000000/);
  });
});

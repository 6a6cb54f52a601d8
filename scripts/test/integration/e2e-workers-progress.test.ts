import { taskLogsResponseSchema, workersResponseSchema } from '@wlm/commons/api';
import { WlmSystem } from '../support/wlm-system';
import { eventually } from '@wlm/test-support';

/*
 * What the console shows, through the API of a real orchestrator beside a real `wlm scheduler` and
 * `wlm worker`s: the scheduler's worker directory (a worker SIGKILLed shows failed), a task's
 * progress while it runs, its log tail after it ended, the start of a run too short to report
 * RUNNING, and the change stream.
 */

jest.setTimeout(120_000);

let system: WlmSystem;
let echoType: string;

beforeAll(async () => {
  system = await WlmSystem.start({
    label: 'workers',
    workers: [
      // Longer than a 10 ms echo takes on a loaded machine: its start travels on its COMPLETED.
      { name: 'wa', tasks: 'echo', slots: 2, labels: 'site=lab', args: ['--running-report-delay', '3000'] },
      { name: 'wb', tasks: 'echo', slots: 1 },
    ],
  });
  echoType = system.type('sleepy');
  await system.putDag({
    type: echoType,
    tasks: [
      { id: 'first', type: 'echo', params: { sleepMs: 2_000, note: '{{inputs.note}}' } },
      { id: 'second', type: 'echo', after: ['first'], params: { sleepMs: 10 } },
    ],
  });
});

afterAll(async () => {
  await system?.stop();
});

describe('GET /api/workers', () => {
  it('lists every worker as the scheduler sees it, and a SIGKILLed one as failed', async () => {
    expect.hasAssertions();
    const [wa, wb] = [system.cluster.workerId('wa'), system.cluster.workerId('wb')];
    const listed = await eventually(
      'both workers in the directory',
      async () => workersResponseSchema.parse(await system.workers()),
      (answer) => answer.items.length === 2,
      15_000,
    );
    expect(listed.items.find((worker) => worker.workerId === wa)).toMatchObject({
      state: 'alive',
      reachable: true,
      taskTypes: { echo: '0.1.0' },
      labels: { site: 'lab' },
      slots: 2,
      slotsInUse: 0,
      failedAt: null,
    });
    expect(
      listed.incidents
        .filter((incident) => incident.kind === 'joined')
        .map((i) => i.workerId)
        .sort(),
    ).toEqual([wa, wb].sort());

    system.cluster.worker(wb).kill('SIGKILL');
    const after = await eventually(
      `${wb} marked failed`,
      async () => workersResponseSchema.parse(await system.workers()),
      (answer) => answer.items.find((worker) => worker.workerId === wb)?.state === 'failed',
      45_000,
    );
    // Failed workers come first, so they stand out.
    expect(after.items[0]).toMatchObject({ workerId: wb, state: 'failed' });
    expect(after.items[0]?.failedAt).not.toBeNull();
    expect(after.incidents[0]).toMatchObject({ workerId: wb, kind: 'failed' });

    const table = await system.cli(['workers']);
    expect(table.code).toBe(0);
    const rows = table.stdout.split('\n');
    expect(rows[0]).toMatch(/^WORKER\s+STATE\s+SLOTS\s+TASK TYPES\s+LABELS\s+ADDRESS\s+SEEN$/);
    expect(rows[1]).toMatch(new RegExp(`^${wb}\\s+failed\\s+\\d/1\\s+echo@0\\.1\\.0\\s+-\\s`));
    expect(rows[2]).toMatch(new RegExp(`^${wa}\\s+alive\\s+\\d/2\\s+echo@0\\.1\\.0\\s+site=lab\\s`));
    expect(table.stdout).toContain('recent incidents:');
    const json = await system.cli(['workers', '--json']);
    expect(
      workersResponseSchema.parse(JSON.parse(json.stdout)).items.map((worker) => worker.workerId),
    ).toEqual([wb, wa]);
  });
});

describe('progress and logs of a task', () => {
  it('shows the latest progress while the task runs and its log tail once it ended', async () => {
    expect.hasAssertions();
    const id = await system.submit(echoType, { note: 'hello' });
    const running = await eventually(
      'progress of task first',
      () => system.experiment(id),
      (view) => view.tasks.find((task) => task.taskId === 'first')?.progress !== null,
      30_000,
    );
    const progress = running.tasks.find((task) => task.taskId === 'first')?.progress;
    expect(progress?.message).toMatch(/^slept \d+ of 2000 ms$/);
    expect(progress?.percent).toBeGreaterThan(0);

    const done = await system.ended(id);
    expect(done.state).toBe('COMPLETED');
    // The worker passes progress on at most once a second, and drops what the end overtakes.
    const last = done.tasks.find((task) => task.taskId === 'first')?.progress;
    expect(last?.message).toMatch(/^slept \d+ of 2000 ms$/);
    expect(last?.percent).toBeGreaterThanOrEqual(progress?.percent ?? 0);

    const logs = taskLogsResponseSchema.parse(await system.api(`/api/experiments/${id}/tasks/first/logs`));
    expect(logs).toMatchObject({ experimentId: id, run: 1, taskId: 'first', attempt: 1 });
    expect(logs.limits).toEqual({ maxLines: 200, maxBytes: 65536 });
    const lines = logs.text.split('\n');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO echo started$/);
    expect(lines.filter((line) => line.includes('echo still sleeping'))).toHaveLength(4);

    await expect(system.api(`/api/experiments/${id}/tasks/nope/logs`)).rejects.toThrow(/404/);

    // The experiment list finds it by a piece of its id, whatever the case.
    const found = await system.api<{ items: { id: string }[] }>(
      `/api/experiments?text=${id.slice(9, 13).toUpperCase()}`,
    );
    expect(found.items.map((experiment) => experiment.id)).toContain(id);
    const none = await system.api<{ items: unknown[] }>('/api/experiments?text=no-such-experiment');
    expect(none.items).toEqual([]);

    const printed = await system.cli(['logs', id, 'first']);
    expect(printed.code).toBe(0);
    expect(printed.stdout.trimEnd()).toBe(logs.text);
    expect(printed.stderr).toMatch(
      /^task first, run 1, attempt 1: the last \d+ lines \(at most 200 lines or 64 KiB\)/,
    );
    const missing = await system.cli(['logs', id, 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('has no task "nope"');
  });
});

describe('a run too short to report RUNNING', () => {
  it('has its start recorded and audited as RUNNING from the COMPLETED that carried it', async () => {
    expect.hasAssertions();
    const id = await system.submit(echoType, { note: 'short' });
    const done = await system.ended(id);
    expect(done.state).toBe('COMPLETED');
    // `second` sleeps 10 ms: it ended long before wa's 3 s delay, so no RUNNING went out for it.
    const [run] = done.tasks.find((task) => task.taskId === 'second')?.runs ?? [];
    expect(run).toMatchObject({ state: 'COMPLETED', workerId: system.cluster.workerId('wa') });
    expect(run?.startedAt).not.toBeNull();
    expect(Date.parse(run?.startedAt ?? '')).toBeLessThanOrEqual(Date.parse(run?.endedAt ?? ''));
    const audit = await system.api<{
      items: { type: string; taskId: string | null; toState: string | null; actor: string; at: string }[];
    }>(`/api/experiments/${id}/audit`);
    const second = audit.items.filter(
      (item) => item.taskId === 'second' && item.type === 'task.transitioned',
    );
    expect(second.map((item) => item.toState)).toEqual(['QUEUED', 'RUNNING', 'COMPLETED']);
    expect(second[1]).toMatchObject({ actor: `worker:${system.cluster.workerId('wa')}` });
    expect(Date.parse(second[1]?.at ?? '')).toBe(Date.parse(run?.startedAt ?? ''));
  });
});

describe('POST /api/experiments/:id/tasks/:task/cancel', () => {
  it('stops that task, and the experiment is cancelled with it', async () => {
    expect.hasAssertions();
    const longType = system.type('long');
    await system.putDag({
      type: longType,
      tasks: [
        { id: 'first', type: 'echo', params: { sleepMs: 30_000 } },
        { id: 'second', type: 'echo', after: ['first'], params: {} },
      ],
    });
    const id = await system.submit(longType);
    await eventually(
      'task first to run',
      () => system.experiment(id),
      (view) => view.tasks[0]?.state === 'RUNNING',
      30_000,
    );
    const answer = await system.api(`/api/experiments/${id}/tasks/first/cancel`, {});
    expect(answer).toEqual({ experimentId: id, run: 1, taskId: 'first' });
    const done = await system.ended(id);
    expect(done.state).toBe('CANCELLED');
    expect(done.tasks.map((task) => [task.taskId, task.state])).toEqual([
      ['first', 'CANCELLED'],
      ['second', 'PENDING'],
    ]);
    const audit = await system.api<{ items: { type: string; taskId: string | null; actor: string }[] }>(
      `/api/experiments/${id}/audit`,
    );
    expect(audit.items).toContainEqual(
      expect.objectContaining({ type: 'experiment.cancel-requested', taskId: 'first', actor: 'api:token-1' }),
    );
    // Only a RUNNING experiment has tasks to cancel.
    await expect(system.api(`/api/experiments/${id}/tasks/first/cancel`, {})).rejects.toThrow(/409/);
  });
});

describe('GET /api/stream', () => {
  it('streams the change of an experiment and of its tasks', async () => {
    expect.hasAssertions();
    const controller = new AbortController();
    const response = await fetch(`${system.url}/api/stream`, {
      headers: { authorization: 'Bearer e2e-system-token-0123456789' },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body?.getReader();
    let text = '';
    const decoder = new TextDecoder();
    const readUntil = async (pattern: RegExp): Promise<void> => {
      while (!pattern.test(text)) {
        const chunk = await reader?.read();
        if (chunk === undefined || chunk.done) throw new Error(`stream ended before ${pattern}: ${text}`);
        text += decoder.decode(chunk.value, { stream: true });
      }
    };
    await readUntil(/event: ready/);
    const id = await system.submit(echoType, { note: 'streamed' });
    await readUntil(new RegExp(`event: experiment\\ndata: \\{"id":"${id}"[^\\n]*"state":"COMPLETED"`));
    expect(text).toMatch(new RegExp(`event: tasks\\ndata: \\{"experimentId":"${id}"\\}`));
    controller.abort();
  });
});

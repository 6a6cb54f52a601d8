import type { TaskView } from '@wlm/orchestrator';
import { OrchestratorEnv } from './support/orchestrator-env';
import { useLeadingOrchestrator } from './support/leading-orchestrator';

const env = new OrchestratorEnv('exec');
const diamondType = env.type('diamond');

useLeadingOrchestrator(env, {
  dags: [
    {
      type: diamondType,
      tasks: [
        { id: 'a', type: 'echo', params: { message: '{{inputs.msg}}' } },
        { id: 'b', type: 'echo', after: ['a'], params: { from: '{{tasks.a.outputs.message}}' } },
        { id: 'c', type: 'echo', after: ['a'], params: { n: 3 }, retry: { maxAttempts: 2, backoffMs: 10 } },
        {
          id: 'd',
          type: 'echo',
          after: ['b', 'c'],
          params: { joined: '{{tasks.b.outputs.from}}+{{tasks.c.outputs.n}}' },
          timeoutMs: 60000,
          constraints: { labels: { site: 'local' } },
        },
      ],
    },
  ],
  completeTasks: true,
});

function task(view: { tasks: TaskView[] }, taskId: string): TaskView {
  const found = view.tasks.find((candidate) => candidate.taskId === taskId);
  if (found === undefined) throw new Error(`no task ${taskId}`);
  return found;
}

describe('a diamond experiment', () => {
  it('runs a, then b and c, and d only once both b and c completed', async () => {
    // c is held: d must not be dispatched while c runs, even though b completed long ago.
    env.cluster.behave((request) => (request.taskId === 'c' ? { kind: 'hold' } : { kind: 'complete' }));
    const id = await env.submit(diamondType, { msg: 'hello' });
    await env.cluster.waitFor('b and c dispatched', () => env.cluster.requestsOf(id).length >= 3);
    await env.until('b completed', async () => task(await env.experiment(id), 'b').state === 'COMPLETED');
    // Proves an absence: d's dispatch, were it coming, would follow b's completion within this time.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(env.cluster.requestsOf(id).map((request) => request.taskId)).not.toContain('d');

    await env.cluster.release(id, 'c');
    const done = await env.waitForState(id, 'COMPLETED');
    const order = env.cluster.requestsOf(id).map((request) => request.taskId);
    expect(order[0]).toBe('a');
    expect(order.slice(1, 3).sort()).toEqual(['b', 'c']);
    expect(order[3]).toBe('d');
    expect(order).toHaveLength(4);
    expect(done.tasks.map((t) => [t.taskId, t.state, t.isExecuted])).toEqual([
      ['a', 'COMPLETED', true],
      ['b', 'COMPLETED', true],
      ['c', 'COMPLETED', true],
      ['d', 'COMPLETED', true],
    ]);
    expect(done.endedAt).not.toBeNull();
  });

  it('renders inputs and upstream outputs into the params of the requests', async () => {
    const id = await env.submit(diamondType, { msg: 'hi there' });
    await env.waitForState(id, 'COMPLETED');
    const byTask = Object.fromEntries(env.cluster.requestsOf(id).map((request) => [request.taskId, request]));
    expect(byTask['a']?.context).toEqual({ message: 'hi there' });
    expect(byTask['b']?.context).toEqual({ from: 'hi there' });
    expect(byTask['d']?.context).toEqual({ joined: 'hi there+3' });
    // The DAG's retry policy, timeout and constraints travel with the request; priority is the experiment's.
    expect(byTask['c']?.retry).toEqual({ maxAttempts: 2, backoffMs: 10 });
    expect(byTask['d']).toMatchObject({
      timeoutMs: 60000,
      constraints: { labels: { site: 'local' } },
      priority: 5,
    });
    expect(byTask['a']?.attempt).toBe(1);
  });

  it('shows every task with its runs: attempt, worker, timings and outputs', async () => {
    const id = await env.submit(diamondType, { msg: 'view' });
    const view = await env.waitForState(id, 'COMPLETED');
    expect(view).toMatchObject({
      id,
      type: diamondType,
      dagVersion: 1,
      run: 1,
      priority: 5,
      inputs: { msg: 'view' },
    });
    const [run] = task(view, 'b').runs;
    expect(run).toMatchObject({
      attempt: 1,
      workerId: 'fake-worker',
      state: 'COMPLETED',
      outputs: { from: 'view' },
    });
    expect(Date.parse(run?.startedAt ?? '')).toBeLessThanOrEqual(Date.parse(run?.endedAt ?? ''));
    expect(task(view, 'd').after.sort()).toEqual(['b', 'c']);
    expect(view.edges).toHaveLength(4);
  });

  it('records the experiment in the audit trail and leaves the running registry when done', async () => {
    const id = await env.submit(diamondType, { msg: 'audit' });
    await env.waitForState(id, 'COMPLETED');
    const audit = await env.request(`/api/experiments/${id}/audit`);
    const types = (audit.body['items'] as { type: string; toState: string | null }[]).map(
      (e) => `${e.type}:${e.toState}`,
    );
    expect(types[0]).toBe('experiment.created:PENDING');
    expect(types).toContain('experiment.transitioned:RUNNING');
    expect(types.filter((t) => t === 'task.dispatched:QUEUED')).toHaveLength(4);
    expect(types.filter((t) => t === 'task.transitioned:COMPLETED')).toHaveLength(4);
    expect(types[types.length - 1]).toBe('experiment.transitioned:COMPLETED');
    expect(await env.db.count('running_experiments', 'experiment_id = ?', [id])).toBe(0);
  });
});

describe('task events', () => {
  it('are idempotent: duplicates and late events change nothing and dispatch nothing twice', async () => {
    env.cluster.behave((request) => (request.taskId === 'd' ? { kind: 'hold' } : { kind: 'complete' }));
    const id = await env.submit(diamondType, { msg: 'dup' });
    await env.cluster.waitFor('d dispatched', () => env.cluster.requestsOf(id).some((r) => r.taskId === 'd'));
    const at = new Date().toISOString();
    const base = { v: 1 as const, experimentId: id, run: 1, attempt: 1, workerId: 'fake-worker', at };
    for (let i = 0; i < 3; i += 1) {
      await env.cluster.publish({ ...base, taskId: 'b', state: 'COMPLETED', outputs: { from: 'changed' } });
      await env.cluster.publish({ ...base, taskId: 'c', state: 'COMPLETED', outputs: { n: 99 } });
      await env.cluster.publish({ ...base, taskId: 'b', state: 'RUNNING' });
    }
    await env.cluster.release(id, 'd');
    const view = await env.waitForState(id, 'COMPLETED');
    expect(
      env.cluster
        .requestsOf(id)
        .map((request) => request.taskId)
        .sort(),
    ).toEqual(['a', 'b', 'c', 'd']);
    // The first completion won; the late RUNNING did not undo it.
    expect(task(view, 'b')).toMatchObject({ state: 'COMPLETED', outputs: { from: 'dup' } });
    expect(task(view, 'b').runs).toHaveLength(1);
    expect(
      await env.db.count('audit_events', "experiment_id = ? AND task_id = 'b' AND to_state = 'COMPLETED'", [
        id,
      ]),
    ).toBe(1);
  });

  it('records a retryable failure and leaves the retry to the scheduler', async () => {
    env.cluster.behave((request) =>
      request.taskId === 'c' && request.attempt === 1
        ? { kind: 'fail', retryable: true }
        : { kind: 'complete' },
    );
    const id = await env.submit(diamondType, { msg: 'retry' });
    await env.until('c failed', async () => task(await env.experiment(id), 'c').state === 'FAILED');
    expect((await env.experiment(id)).state).toBe('RUNNING');
    // The fake scheduler retries as the real one would: attempt 2.
    await env.cluster.publish({
      v: 1,
      experimentId: id,
      run: 1,
      taskId: 'c',
      attempt: 2,
      state: 'COMPLETED',
      workerId: 'fake-worker',
      outputs: { n: 7 },
      at: new Date().toISOString(),
    });
    const view = await env.waitForState(id, 'COMPLETED');
    expect(task(view, 'c').runs.map((run) => [run.attempt, run.state])).toEqual([
      [1, 'FAILED'],
      [2, 'COMPLETED'],
    ]);
    expect(task(view, 'd').runs[0]?.outputs).toEqual({ joined: 'retry+7' });
  });
});

describe('submission', () => {
  it('returns the same experiment for a repeated idempotency key (200), a new one otherwise (201)', async () => {
    const body = {
      type: diamondType,
      inputs: { msg: 'once' },
      priority: 3,
      idempotencyKey: `key-${Date.now()}`,
    };
    const first = await env.request('/api/experiments', { body });
    const second = await env.request('/api/experiments', { body });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body['id']).toBe(first.body['id']);
    const conflict = await env.request('/api/experiments', { body: { ...body, priority: 4 } });
    expect(conflict.status).toBe(409);
    await env.waitForState(String(first.body['id']), 'COMPLETED');
    expect(env.cluster.requestsOf(String(first.body['id'])).filter((r) => r.taskId === 'a')).toHaveLength(1);
  });

  it('rejects a submission without the inputs the DAG uses, storing nothing', async () => {
    const before = await env.db.count('experiments');
    const response = await env.request('/api/experiments', { body: { type: diamondType, inputs: {} } });
    expect(response.status).toBe(400);
    expect(response.body['error']).toMatchObject({ code: 'EXPERIMENT_INPUT_INVALID', missing: ['msg'] });
    expect(String((response.body['error'] as { message: string }).message)).toContain('"msg"');
    expect(await env.db.count('experiments')).toBe(before);
  });
});

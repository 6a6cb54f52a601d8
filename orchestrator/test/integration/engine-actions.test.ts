import type { TaskView } from '@wlm/orchestrator';
import { OrchestratorEnv } from './support/orchestrator-env';
import { useLeadingOrchestrator } from './support/leading-orchestrator';

const env = new OrchestratorEnv('actions');
const chain = env.type('chain');
const diamond = env.type('diamond');

useLeadingOrchestrator(env, {
  dags: [
    {
      type: chain,
      tasks: [
        { id: 'a', type: 'echo', params: { n: 1 } },
        { id: 'b', type: 'echo', after: ['a'], params: { n: '{{tasks.a.outputs.n}}' } },
        { id: 'c', type: 'echo', after: ['b'] },
      ],
    },
    {
      type: diamond,
      tasks: [
        { id: 'a', type: 'echo' },
        { id: 'b', type: 'echo', after: ['a'] },
        { id: 'c', type: 'echo', after: ['a'] },
        { id: 'd', type: 'echo', after: ['b', 'c'] },
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

function requested(id: string, taskId: string): number[] {
  return env.cluster
    .requestsOf(id)
    .filter((request) => request.taskId === taskId)
    .map((request) => request.attempt);
}

describe('cancel', () => {
  it('cancels a running experiment, tells the tasks to stop, and dispatches nothing more', async () => {
    env.cluster.behave((request) => (request.taskId === 'b' ? { kind: 'hold' } : { kind: 'complete' }));
    const id = await env.submit(chain);
    await env.cluster.waitFor('b dispatched', () => requested(id, 'b').length > 0);
    const response = await env.request(`/api/experiments/${id}/cancel`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id, state: 'CANCELLED' });
    await env.cluster.waitFor('the cancel', () =>
      env.cluster.controls.some((control) => control.experimentId === id && control.type === 'CANCEL_TASK'),
    );
    expect(env.cluster.controls.find((control) => control.experimentId === id)?.taskId).toBeUndefined();
    // b finishes anyway: recorded (resume will not run it again), but c is not dispatched.
    await env.cluster.release(id, 'b');
    await env.until('b recorded', async () => task(await env.experiment(id), 'b').isExecuted);
    // Proves an absence: c's dispatch, were it coming, would follow b's record within this time.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(requested(id, 'c')).toEqual([]);
    expect((await env.experiment(id)).state).toBe('CANCELLED');
    expect(await env.db.count('running_experiments', 'experiment_id = ?', [id])).toBe(0);
    // A second cancel is refused: the state no longer allows it.
    expect((await env.request(`/api/experiments/${id}/cancel`, { method: 'POST' })).status).toBe(409);
  });
});

describe('resume', () => {
  it('continues a cancelled experiment at its first incomplete task; executed tasks do not run again', async () => {
    env.cluster.behave((request) => (request.taskId === 'b' ? { kind: 'hold' } : { kind: 'complete' }));
    const id = await env.submit(chain);
    await env.cluster.waitFor('b dispatched', () => requested(id, 'b').length > 0);
    await env.request(`/api/experiments/${id}/cancel`, { method: 'POST' });
    env.cluster.behave(() => ({ kind: 'complete' }));
    const response = await env.request(`/api/experiments/${id}/resume`, { method: 'POST' });
    expect(response.status).toBe(200);
    const done = await env.waitForState(id, 'COMPLETED');
    expect(requested(id, 'a')).toEqual([1]);
    // b's first attempt was cancelled with its experiment; the resumed run is a new attempt.
    expect(requested(id, 'b')).toEqual([1, 2]);
    expect(requested(id, 'c')).toEqual([1]);
    expect(task(done, 'b').runs.map((run) => run.attempt)).toEqual([1, 2]);
    expect(env.cluster.requestsOf(id).find((r) => r.taskId === 'b' && r.attempt === 2)?.context).toEqual({
      n: 1,
    });
  });

  it('fails the experiment on a final task failure, cancels its other branches, and resumes from there', async () => {
    env.cluster.behave((request) => {
      if (request.taskId === 'b') return { kind: 'hold' };
      if (request.taskId === 'c' && request.attempt === 1)
        return { kind: 'fail', retryable: false, reason: 'disk full' };
      return { kind: 'complete' };
    });
    const id = await env.submit(diamond);
    const failed = await env.waitForState(id, 'FAILED');
    expect(failed.failureReason).toMatch(/task c failed \(attempt 1\): disk full/);
    expect(task(failed, 'a').isExecuted).toBe(true);
    await env.cluster.waitFor('the cancel of the other branches', () =>
      env.cluster.controls.some((control) => control.experimentId === id),
    );
    expect(await env.db.count('running_experiments', 'experiment_id = ?', [id])).toBe(0);

    env.cluster.behave(() => ({ kind: 'complete' }));
    expect((await env.request(`/api/experiments/${id}/resume`, { method: 'POST' })).status).toBe(200);
    const done = await env.waitForState(id, 'COMPLETED');
    expect(requested(id, 'a')).toEqual([1]);
    expect(requested(id, 'c')).toEqual([1, 2]);
    expect(requested(id, 'd')).toEqual([1]);
    // The retry budget is shifted for an attempt that does not start at 1.
    expect(env.cluster.requestsOf(id).find((r) => r.taskId === 'c' && r.attempt === 2)?.retry).toEqual({
      maxAttempts: 4,
      backoffMs: 1000,
    });
    expect(done.failureReason).toBeNull();
  });

  it('fails an experiment whose params name an output the upstream task did not produce', async () => {
    const type = env.type('unrunnable');
    await env.putDag({
      type,
      tasks: [
        { id: 'a', type: 'echo' },
        { id: 'b', type: 'echo', after: ['a'], params: { x: '{{tasks.a.outputs.missing}}' } },
      ],
    });
    const id = await env.submit(type);
    const failed = await env.waitForState(id, 'FAILED');
    expect(failed.failureReason).toMatch(/task b cannot start: .*has no output "missing"/);
    expect(task(failed, 'b').state).toBe('FAILED');
    expect(requested(id, 'b')).toEqual([]);
  });
});

describe('a task cancelled by someone else', () => {
  it('cancels its RUNNING experiment instead of leaving it stuck; a resume runs the task again', async () => {
    env.cluster.behave((request) =>
      request.taskId === 'b' && request.attempt === 1
        ? { kind: 'cancel', reason: 'dropped by the scheduler' }
        : { kind: 'complete' },
    );
    const id = await env.submit(chain);
    const cancelled = await env.waitForState(id, 'CANCELLED');
    expect(task(cancelled, 'b')).toMatchObject({ state: 'CANCELLED', attempt: 1 });
    const audit = (await env.request(`/api/experiments/${id}/audit?limit=1000`)).body['items'] as {
      toState: string | null;
      reason: string | null;
    }[];
    expect(
      audit.find((event) => event.toState === 'CANCELLED' && event.reason?.startsWith('task b'))?.reason,
    ).toBe('task b was cancelled (attempt 1): dropped by the scheduler');
    expect((await env.request(`/api/experiments/${id}/resume`, { method: 'POST' })).status).toBe(200);
    await env.waitForState(id, 'COMPLETED');
    expect(requested(id, 'a')).toEqual([1]);
    expect(requested(id, 'b')).toEqual([1, 2]);
  });
});

describe('rerun', () => {
  it('runs a finished experiment again as a new run with fresh attempts, keeping the history', async () => {
    const id = await env.submit(chain);
    await env.waitForState(id, 'COMPLETED');
    const response = await env.request(`/api/experiments/${id}/rerun`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id, run: 2 });
    const second = await env.waitForState(id, 'COMPLETED');
    expect(second.run).toBe(2);
    // Attempts never repeat within an experiment: consumers are idempotent on (experiment, task, attempt).
    const attempts = requested(id, 'a');
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).toBeGreaterThan(attempts[0] ?? 0);
    expect(task(second, 'a').runs.map((run) => run.attempt)).toEqual([attempts[1]]);
    const first = (await env.request(`/api/experiments/${id}?run=1`)).body as unknown as {
      tasks: TaskView[];
    };
    expect(task(first, 'c').runs.map((run) => [run.attempt, run.state])).toEqual([[1, 'COMPLETED']]);

    // A late event of run 1 is told apart by its attempt and changes nothing in run 2.
    await env.cluster.publish({
      v: 1,
      experimentId: id,
      run: 1,
      taskId: 'a',
      attempt: 1,
      state: 'FAILED',
      workerId: 'fake-worker',
      reason: 'late',
      retryable: false,
      at: new Date().toISOString(),
    });
    // A fixed wait: the engine drops a late event without a trace (no `events:applied`, no audit),
    // so there is nothing to wait on; this proves it changes nothing within the time it takes.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await env.experiment(id);
    expect(after.state).toBe('COMPLETED');
    expect(task(after, 'a').runs.map((run) => run.state)).toEqual(['COMPLETED']);
    const audit = (await env.request(`/api/experiments/${id}/audit?limit=1000`)).body['items'] as {
      type: string;
    }[];
    expect(audit.filter((event) => event.type === 'experiment.rerun')).toHaveLength(1);
  });
});

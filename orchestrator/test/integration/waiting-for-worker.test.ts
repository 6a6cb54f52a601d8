import type { TaskView } from '@wlm/orchestrator';
import { OrchestratorEnv } from './support/orchestrator-env';

/*
 * A task no worker runs: the scheduler says so with a WAITING event and, once the task's
 * queueTimeoutMs runs out, fails it with TASK_UNSCHEDULABLE. The fake cluster plays the scheduler.
 */

const env = new OrchestratorEnv('wait');
const gpuType = env.type('gpu');

beforeAll(async () => {
  const orchestrator = await env.start();
  await env.leading(orchestrator);
  await env.putDag({
    type: gpuType,
    tasks: [{ id: 'sim', type: 'gpu-sim', params: { steps: 3 }, queueTimeoutMs: 60_000 }],
  });
});

afterAll(async () => {
  await env.cleanup();
});

beforeEach(() => {
  expect.hasAssertions();
  env.cluster.behave(() => ({ kind: 'wait-for-worker' }));
});

function sim(view: { tasks: TaskView[] }): TaskView {
  const found = view.tasks.find((candidate) => candidate.taskId === 'sim');
  if (found === undefined) throw new Error('no task sim');
  return found;
}

async function unschedulable(experimentId: string): Promise<void> {
  await env.cluster.publish({
    v: 1,
    state: 'FAILED',
    experimentId,
    run: 1,
    taskId: 'sim',
    attempt: 1,
    at: new Date().toISOString(),
    retryable: false,
    errorCode: 'TASK_UNSCHEDULABLE',
    reason:
      'not placed within its queue timeout of 60000 ms (task type gpu-sim): no live worker runs gpu-sim',
  });
}

describe('a task no worker runs', () => {
  it('shows in the experiment view as waiting for a worker that runs its type', async () => {
    const id = await env.submit(gpuType);
    await env.until('the wait to show', async () => sim(await env.experiment(id)).waitingFor !== null);
    const task = sim(await env.experiment(id));
    expect(task).toMatchObject({
      state: 'QUEUED',
      taskType: 'gpu-sim',
      waitingFor: 'waiting for a worker that runs gpu-sim',
    });
    // The DAG's queue timeout travels with the request.
    expect(env.cluster.requestsOf(id)[0]?.queueTimeoutMs).toBe(60_000);
    // Once a worker has it, the wait is over.
    await env.cluster.publish({
      v: 1,
      state: 'QUEUED',
      experimentId: id,
      run: 1,
      taskId: 'sim',
      attempt: 1,
      workerId: 'gpu-worker',
      assignmentId: 'a-1',
      at: new Date().toISOString(),
    });
    await env.until('the wait to end', async () => sim(await env.experiment(id)).waitingFor === null);
    expect(sim(await env.experiment(id)).runs[0]?.workerId).toBe('gpu-worker');
  });

  it('fails the task and its experiment when its queue timeout runs out (TASK_UNSCHEDULABLE)', async () => {
    const id = await env.submit(gpuType);
    await env.until('the wait to show', async () => sim(await env.experiment(id)).waitingFor !== null);
    await unschedulable(id);
    const failed = await env.waitForState(id, 'FAILED');
    expect(failed.failureReason).toContain('gpu-sim');
    expect(sim(failed)).toMatchObject({ state: 'FAILED', waitingFor: null });
    expect(sim(failed).runs[0]?.reason).toMatch(/^TASK_UNSCHEDULABLE: .*gpu-sim/);
  });

  it('ignores a queue timeout of an attempt a worker was given meanwhile', async () => {
    env.cluster.behave(() => ({ kind: 'hold' }));
    const id = await env.submit(gpuType);
    await env.until('the task to run', async () => sim(await env.experiment(id)).state === 'RUNNING');
    env.cluster.behave(() => ({ kind: 'wait-for-worker' }));
    const marker = await env.submit(gpuType);
    await env.until('the marker to wait', async () => sim(await env.experiment(marker)).waitingFor !== null);
    await unschedulable(id);
    // Events are handled in order: once the later one has failed the marker, the first was handled.
    await unschedulable(marker);
    await env.waitForState(marker, 'FAILED');
    expect((await env.experiment(id)).state).toBe('RUNNING');
    await env.cluster.release(id, 'sim');
    const done = await env.waitForState(id, 'COMPLETED');
    expect(sim(done).runs).toEqual([expect.objectContaining({ attempt: 1, state: 'COMPLETED' })]);
  });
});

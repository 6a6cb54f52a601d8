import { MysqlStateStore, Neo4jDagStore } from '@wlm/orchestrator';
import { OrchestratorEnv } from './support/orchestrator-env';

/*
 * The leader's reconciler (engine/reconciler.ts), with a short interval. Stuck experiments are made
 * by writing the stores directly, as a crash at the wrong moment would leave them: RUNNING, with
 * nothing in flight.
 */
const env = new OrchestratorEnv('reconcile');
const chain = env.type('chain');
let states: MysqlStateStore;
let dags: Neo4jDagStore;

beforeAll(async () => {
  const orchestrator = await env.start({ reconciler: { intervalMs: 100 } });
  await env.leading(orchestrator);
  await env.putDag({
    type: chain,
    tasks: [
      { id: 'a', type: 'echo' },
      { id: 'b', type: 'echo', after: ['a'] },
    ],
  });
  states = await MysqlStateStore.open({ url: env.db.url, logger: env.logger });
  dags = await Neo4jDagStore.open({ ...env.config.neo4j, logger: env.logger });
});

afterAll(async () => {
  await states?.close();
  await dags?.close();
  await env.cleanup();
});

beforeEach(() => {
  expect.hasAssertions();
  env.cluster.behave(() => ({ kind: 'complete' }));
});

/** A RUNNING experiment of the chain whose tasks were never dispatched: what a lost dispatch leaves. */
async function stuckExperiment(): Promise<string> {
  const { experiment } = await states.createExperiment({
    type: chain,
    dagVersion: 1,
    priority: 5,
    inputs: {},
    actor: 'api:test',
  });
  await dags.instantiate({
    experimentId: experiment.id,
    run: 1,
    experimentType: chain,
    version: 1,
    inputs: {},
  });
  await states.transitionExperiment(experiment.id, ['PENDING'], 'RUNNING', { actor: 'engine' });
  return experiment.id;
}

/** Records a's failure of attempt 1 as the engine does: task run, audit entry and node state. */
async function failA(id: string, retryable: boolean): Promise<void> {
  await states.recordTaskRuns({
    taskRuns: [{ experimentId: id, run: 1, taskId: 'a', attempt: 1, state: 'FAILED', reason: 'boom' }],
    auditEvents: [
      {
        experimentId: id,
        taskId: 'a',
        type: 'task.transitioned',
        toState: 'FAILED',
        actor: 'scheduler',
        reason: 'boom',
        details: { run: 1, attempt: 1, retryable },
        dedupeKey: `task:${id}:1:a:1:FAILED${retryable ? '' : ':final'}`,
      },
    ],
  });
  await dags.setTaskStates([{ experimentId: id, run: 1, taskId: 'a', attempt: 1, state: 'FAILED' }]);
}

function requested(id: string): string[] {
  return env.cluster.requestsOf(id).map((request) => `${request.taskId}/${request.attempt}`);
}

describe('the reconciler', () => {
  it('dispatches the ready task of a RUNNING experiment that was never dispatched', async () => {
    const id = await stuckExperiment();
    await env.waitForState(id, 'COMPLETED');
    expect(requested(id)).toEqual(['a/1', 'b/1']);
  });

  it('dispatches only what is ready: an executed task does not run again', async () => {
    const id = await stuckExperiment();
    await dags.markExecuted([{ experimentId: id, run: 1, taskId: 'a', attempt: 1, outputs: { done: true } }]);
    await env.waitForState(id, 'COMPLETED');
    expect(requested(id)).toEqual(['b/1']);
  });

  it('completes a RUNNING experiment whose every task is executed', async () => {
    const id = await stuckExperiment();
    await dags.markExecuted(
      ['a', 'b'].map((taskId) => ({ experimentId: id, run: 1, taskId, attempt: 1, outputs: {} })),
    );
    await env.waitForState(id, 'COMPLETED');
    expect(requested(id)).toEqual([]);
  });

  it('fails an experiment that can never progress, naming the task that failed for good', async () => {
    const id = await stuckExperiment();
    await failA(id, false);
    const failed = await env.waitForState(id, 'FAILED');
    expect(failed.failureReason).toBe('task a failed for good (attempt 1): boom');
    expect(requested(id)).toEqual([]);
    expect(await env.db.count('running_experiments', 'experiment_id = ?', [id])).toBe(0);
    await env.cluster.waitFor('the cancel', () =>
      env.cluster.controls.some((control) => control.experimentId === id),
    );
  });

  it('leaves progressing experiments alone: a task running, one waiting for a worker, one awaiting a retry', async () => {
    env.cluster.behave(() => ({ kind: 'hold' }));
    const running = await env.submit(chain);
    await env.cluster.waitFor('a held', () => requested(running).length === 1);
    await env.until('a RUNNING', async () => (await env.experiment(running)).tasks[0]?.state === 'RUNNING');
    const waiting = await stuckExperiment();
    await dags.setTaskStates([{ experimentId: waiting, run: 1, taskId: 'a', attempt: 1, state: 'QUEUED' }]);
    const retrying = await stuckExperiment();
    await failA(retrying, true);
    // A stuck one registered after them: once it is dispatched, two passes have seen them all.
    const sentinel = await stuckExperiment();
    await env.cluster.waitFor('the stuck one dispatched', () => requested(sentinel).length > 0);

    expect(requested(running)).toEqual(['a/1']);
    expect(requested(waiting)).toEqual([]);
    expect(requested(retrying)).toEqual([]);
    for (const id of [running, waiting, retrying]) expect((await env.experiment(id)).state).toBe('RUNNING');

    env.cluster.behave(() => ({ kind: 'complete' }));
    await env.cluster.release(running, 'a');
    await env.waitForState(running, 'COMPLETED');
    expect(requested(running)).toEqual(['a/1', 'b/1']);
    for (const id of [waiting, retrying, sentinel])
      await env.request(`/api/experiments/${id}/cancel`, { method: 'POST' });
  });
});

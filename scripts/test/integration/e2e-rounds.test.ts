import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskRequestInput } from '@wlm/commons/wire';
import { E2eCluster } from '../support/e2e-cluster';
import { eventually } from '@wlm/test-support';
import { ensureBuilt } from '../../../workers/test/support/ensure-built';

/*
 * Real `wlm scheduler` and `wlm worker` processes running a task in rounds: each round ends with a
 * checkpoint (DEFERRED), the scheduler places the next round after its delay on any capable worker,
 * and a cancel between rounds has a worker call the plugin's cancel with the checkpoint.
 */

jest.setTimeout(90_000);

const ROUNDS_PLUGIN = join(__dirname, '..', '..', '..', 'workers', 'test', 'fixtures', 'rounds-plugin.js');

let cluster: E2eCluster;
let scratch: string;

function request(experimentId: string, context: TaskRequestInput['context']): TaskRequestInput {
  return {
    v: 1,
    experimentId,
    taskId: 'job',
    attempt: 1,
    run: 2,
    taskType: 'fixture-rounds',
    context,
    priority: 5,
    requestedAt: new Date().toISOString(),
  };
}

beforeAll(async () => {
  ensureBuilt(['scripts']);
  scratch = mkdtempSync(join(tmpdir(), 'wlm-e2e-rounds-'));
  cluster = await E2eCluster.start();
  await cluster.startScheduler();
  await Promise.all([
    cluster.startWorker({ name: 'w1', tasks: ROUNDS_PLUGIN, slots: 1 }),
    cluster.startWorker({ name: 'w2', tasks: ROUNDS_PLUGIN, slots: 1 }),
  ]);
});

afterAll(async () => {
  await cluster?.cleanUp();
  rmSync(scratch, { recursive: true, force: true });
});

describe('end to end: tasks that run in rounds', () => {
  it('runs every round from the checkpoint of the one before, one DEFERRED per round, one COMPLETED', async () => {
    const experimentId = `${cluster.namespace}.rounds`;
    await cluster.broker.request(request(experimentId, { rounds: 3, delayMs: 300 }));
    const [completed] = await cluster.broker.completed(experimentId, 1, 30_000);

    expect(completed?.outputs).toMatchObject({ rounds: 3, run: 2 });
    expect(completed?.attempt).toBe(1);
    const deferred = cluster.broker.eventsOf('DEFERRED', experimentId);
    expect(deferred.map((event) => event.request.continuation)).toEqual([
      { round: 2, checkpoint: { round: 1 } },
      { round: 3, checkpoint: { round: 2 } },
    ]);
    for (const event of deferred) {
      // The next round is due after the plugin's delay, counted from when the round ended.
      expect(Date.parse(event.request.notBefore ?? '')).toBe(Date.parse(event.at) + 300);
    }
    // Each round was a placement of its own, all of the same attempt; nothing failed.
    expect(cluster.broker.eventsOf('QUEUED', experimentId)).toHaveLength(3);
    expect(cluster.broker.eventsOf('FAILED', experimentId)).toEqual([]);
  });

  it("calls the plugin's cancel with the checkpoint when the task is cancelled between rounds", async () => {
    const experimentId = `${cluster.namespace}.cancelled`;
    const releasedFile = join(scratch, 'released.json');
    // A minute between rounds: the cancel finds the next round held by the scheduler.
    await cluster.broker.request(request(experimentId, { rounds: 10, delayMs: 60_000, releasedFile }));
    await cluster.broker.waitForEvent('DEFERRED', experimentId, 'job', 30_000);

    await cluster.broker.cancel({
      v: 1,
      type: 'CANCEL_TASK',
      experimentId,
      run: 2,
      reason: 'the user cancelled the experiment',
      requestedAt: new Date().toISOString(),
    });
    const cancelled = await cluster.broker.waitForEvent('CANCELLED', experimentId, 'job', 30_000);

    expect(cancelled.reason).toBe('the user cancelled the experiment');
    expect(cancelled.workerId).toBeDefined();
    const released = await eventually(
      'the plugin released its checkpoint',
      () => {
        try {
          return JSON.parse(readFileSync(releasedFile, 'utf8')) as unknown;
        } catch {
          return undefined;
        }
      },
      (value) => value !== undefined,
      5_000,
    );
    // Round 1's checkpoint, or round 2's when the released round reached a worker before the cancel
    // did (the worker then ran it as a round, and released the one after).
    expect(released).toEqual({ round: expect.any(Number) });
    expect([1, 2]).toContain((released as { round: number }).round);
    expect(cluster.broker.eventsOf('COMPLETED', experimentId)).toEqual([]);
  });
});

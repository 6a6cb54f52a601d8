import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskAbort } from '@wlm/commons/plugin';
import { TASK_FAILURE_CODES } from '../../../src/execution';
import { IsolatedTaskRunner, PluginLoader } from '@wlm/workers';
import type { PluginRef, TaskProgress, TaskRunRequest } from '@wlm/workers';
import { collectGarbage } from '../../support/collect-garbage';
import { ensureBuilt } from '../../support/ensure-built';
import { captureLogger } from '../../support/test-logger';

jest.setTimeout(30_000);

const FIXTURES = join(__dirname, '..', '..', 'fixtures');

function fixture(name: string, taskType = `fixture-${name}`): PluginRef {
  return { taskType, modulePath: join(FIXTURES, `${name}-plugin.js`) };
}

function request(
  plugin: PluginRef,
  params: unknown = {},
  extra: Partial<TaskRunRequest> = {},
): TaskRunRequest {
  return { plugin, experimentId: 'exp-1', taskId: 'task-a', attempt: 1, run: 1, params, ...extra };
}

/**
 * Runs the good fixture with callbacks watched through `runs`, in a function of its own so that
 * nothing here keeps them; resolves with the pid of the process that ran it.
 */
async function runWatched(runner: IsolatedTaskRunner, runs: Array<WeakRef<object>>): Promise<number> {
  const onProgress = (): void => undefined;
  const cancel = new AbortController();
  runs.push(new WeakRef(onProgress), new WeakRef(cancel.signal));
  const outcome = await runner.run(request(fixture('good'), { value: 1 }, { onProgress }), cancel.signal);
  if (outcome.status !== 'completed') throw new Error(`the run ended ${outcome.status}`);
  return (outcome.outputs as { pid: number }).pid;
}

describe('IsolatedTaskRunner', () => {
  const captured = captureLogger();
  let runner: IsolatedTaskRunner;

  beforeAll(() => {
    ensureBuilt();
    runner = new IsolatedTaskRunner({ logger: captured.logger, memoryLimitMb: 96, cancelGraceMs: 300 });
  });

  afterAll(() => runner.close());

  it('returns the outputs of a plugin that completes, with the context it was given', async () => {
    const progress: TaskProgress[] = [];
    const outcome = await runner.run(
      request(fixture('good'), { value: 7 }, { attempt: 2, onProgress: (p) => progress.push(p) }),
    );
    expect(outcome).toMatchObject({
      status: 'completed',
      outputs: { params: { value: 7 }, experimentId: 'exp-1', taskId: 'task-a', attempt: 2 },
    });
    expect(progress).toEqual([{ message: 'halfway', percent: 50 }]);
    // The plugin's log line came through the worker's logger, with the task's scope fields.
    expect(captured.records()).toContainEqual(
      expect.objectContaining({ msg: 'fixture ran', seen: 7, taskId: 'task-a', attempt: 2 }),
    );
  });

  it('runs the task in another process than the worker', async () => {
    const outcome = await runner.run(request(fixture('good'), { value: 1 }));
    expect(outcome.status === 'completed' && (outcome.outputs as { pid: number }).pid).not.toBe(process.pid);
  });

  it('fails without running the plugin when params do not match its input schema, naming the field', async () => {
    const outcome = await runner.run(request(fixture('good'), { value: 'seven' }));
    expect(outcome).toMatchObject({
      status: 'failed',
      retryable: false,
      code: TASK_FAILURE_CODES.INPUT_INVALID,
    });
    expect(outcome.status === 'failed' && outcome.reason).toMatch(/params\.value: .*expected number/);
  });

  it('reports what a plugin throws as a retryable failure with its message', async () => {
    const outcome = await runner.run(request(fixture('throws')));
    expect(outcome).toEqual({
      status: 'failed',
      retryable: true,
      code: TASK_FAILURE_CODES.PLUGIN_ERROR,
      reason: 'the fixture broke on purpose',
    });
  });

  it('fails a task that hangs past its timeout, and keeps serving the next task', async () => {
    const outcome = await runner.run(request(fixture('hangs'), {}, { timeoutMs: 200 }));
    expect(outcome).toEqual({
      status: 'failed',
      retryable: true,
      code: TASK_FAILURE_CODES.TIMED_OUT,
      reason: 'timed out after 200 ms',
    });
    await expect(runner.run(request(fixture('good'), { value: 2 }))).resolves.toMatchObject({
      status: 'completed',
    });
  });

  it('kills a task that blocks its event loop past the timeout', async () => {
    const started = Date.now();
    const outcome = await runner.run(request(fixture('hangs'), { busy: true }, { timeoutMs: 200 }));
    expect(outcome).toMatchObject({ status: 'failed', code: TASK_FAILURE_CODES.TIMED_OUT });
    // Killed after the grace period rather than waiting for a cancel it could never read.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('fails a task whose plugin calls process.exit, naming the exit code', async () => {
    const outcome = await runner.run(request(fixture('exits')));
    expect(outcome).toMatchObject({
      status: 'failed',
      retryable: true,
      code: TASK_FAILURE_CODES.PROCESS_EXITED,
    });
    expect(outcome.status === 'failed' && outcome.reason).toMatch(
      /exited with code 3.*fixture about to exit/,
    );
  });

  it('fails a task whose plugin throws outside its promise', async () => {
    const outcome = await runner.run(request(fixture('uncaught')));
    expect(outcome).toMatchObject({ status: 'failed', code: TASK_FAILURE_CODES.UNCAUGHT_EXCEPTION });
    expect(outcome.status === 'failed' && outcome.reason).toContain('thrown from a timer');
  });

  it('fails a task that leaks memory past the cap, and keeps serving', async () => {
    const outcome = await runner.run(request(fixture('leaks')));
    expect(outcome).toMatchObject({
      status: 'failed',
      retryable: true,
      code: TASK_FAILURE_CODES.OUT_OF_MEMORY,
    });
    expect(outcome.status === 'failed' && outcome.reason).toContain('heap limit 96 MB');
    await expect(runner.run(request(fixture('good'), { value: 3 }))).resolves.toMatchObject({
      status: 'completed',
    });
  });

  it('cancels a running task through its abort signal', async () => {
    const controller = new AbortController();
    const running = runner.run(request(fixture('hangs')), controller.signal);
    setTimeout(() => controller.abort(), 200);
    await expect(running).resolves.toEqual({ status: 'cancelled', reason: 'cancelled' });
  });

  it('does not start a task whose signal is already aborted', async () => {
    const outcome = await runner.run(request(fixture('good'), { value: 1 }), AbortSignal.abort());
    expect(outcome.status).toBe('cancelled');
  });

  it('fails a task whose plugin module serves another task type', async () => {
    const outcome = await runner.run(request(fixture('good', 'echo'), { value: 1 }));
    expect(outcome).toMatchObject({ status: 'failed', code: TASK_FAILURE_CODES.PLUGIN_LOAD_FAILED });
    expect(outcome.status === 'failed' && outcome.reason).toContain(
      'provides task type "fixture-good", not "echo"',
    );
  });

  it('fails a task whose outputs are not JSON values, as not retryable', async () => {
    const outcome = await runner.run(request(fixture('bad-output')));
    expect(outcome).toMatchObject({
      status: 'failed',
      retryable: false,
      code: TASK_FAILURE_CODES.OUTPUT_INVALID,
    });
    expect(outcome.status === 'failed' && outcome.reason).toContain(
      'outputs.count: not a JSON value (bigint)',
    );
  });

  it('keeps the code and retryable flag of a TaskFailure thrown by a real plugin package', async () => {
    const { plugins } = await new PluginLoader({ logger: captured.logger }).load(['@wlm/task-echo']);
    const echo = plugins[0];
    if (echo === undefined) throw new Error('echo did not load');
    const attempt = (n: number) => runner.run(request(echo, { failTimes: 1, n }, { attempt: n }));
    await expect(attempt(1)).resolves.toMatchObject({
      status: 'failed',
      retryable: true,
      code: 'ECHO_INJECTED_FAILURE',
    });
    await expect(attempt(2)).resolves.toEqual({ status: 'completed', outputs: { failTimes: 1, n: 2 } });
  });

  it('reuses a warm process for the same plugin after a clean result', async () => {
    const first = await runner.run(request(fixture('good'), { value: 1 }));
    const second = await runner.run(request(fixture('good'), { value: 2 }));
    const pid = (outcome: typeof first): unknown =>
      outcome.status === 'completed' && (outcome.outputs as { pid: number }).pid;
    expect(pid(second)).toBe(pid(first));
  });

  it('retires a process that keeps more than half its heap cap after a clean result', async () => {
    const pid = async (mb: number): Promise<unknown> => {
      const outcome = await runner.run(request(fixture('hoards'), { mb }));
      return outcome.status === 'completed' && (outcome.outputs as { pid: number }).pid;
    };
    const first = await pid(1);
    expect(await pid(0)).toBe(first);
    // 56 MB kept of a 96 MB cap: the next task gets a new process.
    const hoarder = await pid(56);
    expect(hoarder).toBe(first);
    expect(await pid(0)).not.toBe(hoarder);
  });

  it('gives each task a logger of its own: what one task sets on it does not reach the next', async () => {
    const first = await runner.run(request(fixture('log-level'), { n: 1 }));
    const second = await runner.run(request(fixture('log-level'), { n: 2 }));
    const outputs = (outcome: typeof first): unknown => outcome.status === 'completed' && outcome.outputs;
    expect(outputs(second)).toEqual(outputs(first));
    expect(captured.records().filter((record) => record.msg === 'log level fixture ran')).toEqual([
      expect.objectContaining({ n: 1 }),
      expect.objectContaining({ n: 2 }),
    ]);
  });

  it('keeps nothing of a finished run while its process stays warm for the next task', async () => {
    // A warm process serves thousands of tasks: whatever a run holds (its callbacks, its logger, its
    // abort listener) must go when the run ends, not when the process does.
    const runs: Array<WeakRef<object>> = [];
    const pids = new Set<number>();
    for (let i = 0; i < 5; i += 1) pids.add(await runWatched(runner, runs));
    expect(pids.size).toBe(1);
    await collectGarbage();
    expect(runs.filter((run) => run.deref() !== undefined)).toHaveLength(0);
  });

  it('ends a round with the checkpoint, delay and message of the TaskContinuation it threw', async () => {
    const outcome = await runner.run(request(fixture('rounds'), { rounds: 3, delayMs: 250 }));
    expect(outcome).toEqual({
      status: 'continued',
      checkpoint: { round: 1 },
      delayMs: 250,
      message: 'round 1 of 3 done',
    });
  });

  it('hands the checkpoint and the run to the next round', async () => {
    const outcome = await runner.run(
      request(fixture('rounds'), { rounds: 3 }, { run: 4, checkpoint: { round: 2 } }),
    );
    expect(outcome).toMatchObject({ status: 'completed', outputs: { rounds: 3, run: 4 } });
  });

  it("calls the plugin's cancel with the checkpoint for a task cancelled between rounds", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wlm-rounds-'));
    try {
      const releasedFile = join(dir, 'released.json');
      const outcome = await runner.run(
        request(
          fixture('rounds'),
          { rounds: 5, releasedFile },
          { checkpoint: { round: 2, jobId: '17' }, purpose: 'cancel' },
        ),
      );
      expect(outcome).toEqual({ status: 'completed', outputs: null });
      expect(JSON.parse(readFileSync(releasedFile, 'utf8'))).toEqual({ round: 2, jobId: '17' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the checkpoint of a round that ends just as it is cancelled, for the worker to release', async () => {
    const abort = new AbortController();
    const running = runner.run(
      request(fixture('rounds'), { rounds: 3, endRoundOnAbort: true }),
      abort.signal,
    );
    // Time for the task process to start the plugin: the runner reports no "started".
    await new Promise((resolve) => setTimeout(resolve, 300));
    abort.abort(new TaskAbort('cancel', 'the user cancelled the experiment'));
    expect(await running).toEqual({
      status: 'cancelled',
      reason: 'the user cancelled the experiment',
      checkpoint: { round: 1 },
    });
  });

  it('completes a cancel at once for a plugin that has no cancel', async () => {
    const outcome = await runner.run(request(fixture('good'), { value: 1 }, { purpose: 'cancel' }));
    expect(outcome).toEqual({ status: 'completed', outputs: null });
  });
});

describe('IsolatedTaskRunner with a process per task', () => {
  beforeAll(ensureBuilt);

  it('forks a fresh process for every task', async () => {
    const runner = new IsolatedTaskRunner({ logger: captureLogger().logger, maxTasksPerProcess: 1 });
    try {
      const pids = [];
      for (const value of [1, 2]) {
        const outcome = await runner.run(request(fixture('good'), { value }));
        pids.push(outcome.status === 'completed' && (outcome.outputs as { pid: number }).pid);
      }
      expect(pids[0]).not.toBe(pids[1]);
    } finally {
      await runner.close();
    }
  });

  it('ends a running task as failed when the runner closes, and refuses new ones', async () => {
    const runner = new IsolatedTaskRunner({ logger: captureLogger().logger });
    const running = runner.run(request(fixture('hangs')));
    // Time for the task process to start the plugin: the runner reports no "started".
    await new Promise((resolve) => setTimeout(resolve, 300));
    await runner.close();
    await expect(running).resolves.toMatchObject({
      status: 'failed',
      code: 'SHUTTING_DOWN',
      retryable: true,
    });
    await expect(runner.run(request(fixture('good'), { value: 1 }))).resolves.toMatchObject({
      status: 'failed',
      code: 'SHUTTING_DOWN',
    });
  });
});

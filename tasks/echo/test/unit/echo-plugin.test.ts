import pino from 'pino';
import { ComputeResources, TaskFailure, isTaskPlugin } from '@wlm/commons/plugin';
import type { TaskContext } from '@wlm/commons/plugin';
import echo, { ECHO_INJECTED_FAILURE, plugin } from '@wlm/task-echo';

function context(params: unknown, attempt = 1): TaskContext<ReturnType<typeof plugin.inputSchema.parse>> {
  return {
    experimentId: 'exp-1',
    run: 1,
    taskId: 'a',
    attempt,
    params: plugin.inputSchema.parse(params),
    resources: new ComputeResources(),
    localRoots: [],
    logger: pino({ level: 'silent' }),
    progress: () => undefined,
  };
}

const never = new AbortController().signal;

describe('echo plugin', () => {
  it('is a task plugin exported both by name and as the default', () => {
    expect(isTaskPlugin(plugin)).toBe(true);
    expect(echo).toBe(plugin);
    expect(plugin.name).toBe('echo');
  });

  it('returns its params as outputs', async () => {
    const params = { message: 'hi', nested: { list: [1, 2] }, sleepMs: 0 };
    await expect(plugin.run(context(params), never)).resolves.toEqual(params);
  });

  it('reports its sleep as progress in at most four steps, the last at 100 %', async () => {
    const reports: [string, number | undefined][] = [];
    const ctx = {
      ...context({ sleepMs: 40 }),
      progress: (message: string, percent?: number) => void reports.push([message, percent]),
    };
    await plugin.run(ctx, never);
    expect(reports).toEqual([
      ['slept 10 of 40 ms', 25],
      ['slept 20 of 40 ms', 50],
      ['slept 30 of 40 ms', 75],
      ['slept 40 of 40 ms', 100],
    ]);
  });

  it('waits params.sleepMs before answering', async () => {
    const started = performance.now();
    await plugin.run(context({ sleepMs: 50 }), never);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('stops sleeping when aborted', async () => {
    const controller = new AbortController();
    const running = plugin.run(context({ sleepMs: 60_000 }), controller.signal);
    controller.abort(new Error('cancelled by test'));
    await expect(running).rejects.toThrow('cancelled by test');
  });

  it('fails attempts up to params.failTimes as retryable, then succeeds', async () => {
    for (const attempt of [1, 2]) {
      const failure = await plugin
        .run(context({ failTimes: 2 }, attempt), never)
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(TaskFailure);
      expect(failure).toMatchObject({ code: ECHO_INJECTED_FAILURE, retryable: true });
    }
    await expect(plugin.run(context({ failTimes: 2 }, 3), never)).resolves.toEqual({ failTimes: 2 });
  });

  it('rejects a sleepMs that is not a non-negative integer', () => {
    expect(plugin.inputSchema.safeParse({ sleepMs: 'soon' }).success).toBe(false);
    expect(plugin.inputSchema.safeParse({ failTimes: -1 }).success).toBe(false);
  });
});

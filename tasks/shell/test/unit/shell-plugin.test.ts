import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ComputeResources, TaskFailure, isTaskPlugin } from '@wlm/commons/plugin';
import type { TaskContext } from '@wlm/commons/plugin';
import shell, { SHELL_FAILURE_CODES, plugin } from '@wlm/task-shell';
import type { ShellParams } from '@wlm/task-shell';

function context(
  params: ShellParams,
  workDir?: string,
): TaskContext<ReturnType<typeof plugin.inputSchema.parse>> {
  return {
    experimentId: 'exp-1',
    run: 1,
    taskId: 'a',
    attempt: 1,
    params: plugin.inputSchema.parse(params),
    ...(workDir === undefined ? {} : { workDir }),
    resources: new ComputeResources(),
    localRoots: [],
    logger: pino({ level: 'silent' }),
    progress: () => undefined,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<TaskFailure> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(TaskFailure);
  return error as TaskFailure;
}

const never = new AbortController().signal;

describe('shell plugin', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wlm-shell-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is a task plugin exported both by name and as the default', () => {
    expect(isTaskPlugin(plugin)).toBe(true);
    expect(shell).toBe(plugin);
  });

  it('runs a command without a shell and returns its exit code and output', async () => {
    const outputs = await plugin.run(context({ command: 'echo', args: ['a $HOME', 'b'] }), never);
    // No shell: `$HOME` reaches echo untouched.
    expect(outputs).toEqual({ exitCode: 0, stdout: 'a $HOME b\n', stderr: '' });
  });

  it("gives the command the inherited variables and its declared env, never the rest of the worker's", async () => {
    const secrets = { WLM_API_TOKEN: 'api-secret-marker', AWS_SECRET_ACCESS_KEY: 'aws-secret-marker' };
    Object.assign(process.env, secrets);
    try {
      const outputs = await plugin.run(context({ command: 'env', env: { DECLARED: 'by-the-task' } }), never);
      const lines = outputs.stdout.split('\n');
      expect(lines).toContain('DECLARED=by-the-task');
      expect(lines).toContain(`PATH=${process.env['PATH'] ?? ''}`);
      expect(outputs.stdout).not.toContain('secret-marker');
    } finally {
      for (const name of Object.keys(secrets)) delete process.env[name];
    }
  });

  it('runs through a shell when asked, with extra environment and the work directory', async () => {
    const outputs = await plugin.run(
      context({ command: 'echo "$GREETING" > out.txt && pwd', shell: true, env: { GREETING: 'hello' } }, dir),
      never,
    );
    expect(outputs.stdout.trim()).toBe(dir);
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('hello\n');
  });

  it('fails with the exit code and the end of stderr when the command exits non-zero', async () => {
    const failure = await failureOf(
      plugin.run(
        context({ command: 'sh', args: ['-c', 'echo working; echo "disk full" >&2; exit 7'] }),
        never,
      ),
    );
    expect(failure.code).toBe(SHELL_FAILURE_CODES.NON_ZERO_EXIT);
    expect(failure.message).toBe('command "sh" exited with code 7; stderr: disk full');
  });

  it('kills the command and everything it started when it runs past its timeout', async () => {
    const marker = join(dir, 'child-survived');
    const started = Date.now();
    const failure = await failureOf(
      plugin.run(
        context({
          command: 'sh',
          // The background job would write the marker if it outlived the timeout.
          args: ['-c', `(sleep 1 && touch ${marker}) & sleep 30`],
          timeoutMs: 200,
        }),
        never,
      ),
    );
    expect(failure.code).toBe(SHELL_FAILURE_CODES.TIMED_OUT);
    expect(failure.message).toContain('timed out after 200 ms');
    expect(Date.now() - started).toBeLessThan(5000);
    // Proves an absence: the command, had it survived its timeout, would have written the marker by now.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(() => readFileSync(marker)).toThrow();
  });

  it('stops the command when aborted', async () => {
    const controller = new AbortController();
    const running = plugin.run(context({ command: 'sleep', args: ['30'] }), controller.signal);
    setTimeout(() => controller.abort(new Error('cancelled by test')), 100);
    await expect(running).rejects.toThrow('cancelled by test');
  });

  it('fails clearly when the command does not exist', async () => {
    const failure = await failureOf(plugin.run(context({ command: 'wlm-no-such-command' }), never));
    expect(failure.code).toBe(SHELL_FAILURE_CODES.SPAWN_FAILED);
    expect(failure.message).toContain('cannot start command "wlm-no-such-command"');
  });

  it('rejects unknown params', () => {
    expect(plugin.inputSchema.safeParse({ command: 'ls', argv: [] }).success).toBe(false);
  });
});

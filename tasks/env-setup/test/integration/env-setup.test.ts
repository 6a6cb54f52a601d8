import { TaskFailure } from '@wlm/commons/plugin';
import { PATH_OUTSIDE_ROOTS, RemoteCommandError } from '@wlm/commons/remote';
import type { TaskContext } from '@wlm/commons/plugin';
import { ENV_SETUP_FAILURE_CODES, plugin } from '@wlm/task-env-setup';
import type { EnvSetupParams } from '@wlm/task-env-setup';
import { PluginHarness, rejectionOf } from './support/plugin-harness';

const never = new AbortController().signal;

describe('env-setup on the stack sshd', () => {
  let harness: PluginHarness;
  beforeAll(() => {
    harness = new PluginHarness('env-setup-test');
  });
  afterAll(() => harness.close());

  it('refuses a workDir outside the work root, before connecting, not retryably', async () => {
    const experimentId = harness.newExperiment('outside');
    const run = harness.context(
      plugin,
      { resource: 'env-setup-test', workDir: `${harness.resource.workRoot}/../../escaped` },
      experimentId,
    );
    const failure = await rejectionOf(plugin.run(run.ctx, never));
    expect(failure).toMatchObject({ code: PATH_OUTSIDE_ROOTS, retryable: false });
    expect((failure as Error).message).toMatch(/^workDir: \/.* is outside the directories tasks may use/);
    expect(run.progress).toEqual([]);
  });

  it('creates the run directory tree, idempotently', async () => {
    expect.hasAssertions();
    const experimentId = harness.newExperiment('envsetup');
    const runDir = harness.runDir(experimentId);
    const first = harness.context(plugin, { resource: 'env-setup-test' }, experimentId);
    const outputs = await plugin.run(first.ctx, never);
    expect(outputs).toEqual({
      resource: 'env-setup-test',
      workDir: runDir,
      inputsDir: `${runDir}/inputs`,
      outputsDir: `${runDir}/outputs`,
      logsDir: `${runDir}/logs`,
    });
    expect(await harness.remote(`cd '${runDir}' && ls -d */`)).toBe('inputs/\nlogs/\noutputs/\n');
    expect(first.progress.map((event) => event.message)).toEqual([
      `creating ${runDir} on compute resource "env-setup-test"`,
      `environment ready in ${runDir}`,
    ]);
    expect(first.progress.at(-1)?.percent).toBe(100);

    // A rerun (a retry, a second worker) finds the tree and leaves what is in it alone.
    await harness.remote(`echo kept > '${runDir}/inputs/data.txt'`);
    const again = harness.context(plugin, { resource: 'env-setup-test' }, experimentId);
    await expect(plugin.run(again.ctx, never)).resolves.toEqual(outputs);
    expect(await harness.remote(`cat '${runDir}/inputs/data.txt'`)).toBe('kept\n');
  });

  it('puts run 2 of an experiment beside run 1, and honours a workDir override', async () => {
    const experimentId = harness.newExperiment('envsetup');
    const second = harness.context(plugin, { resource: 'env-setup-test' }, experimentId, 2);
    await expect(plugin.run(second.ctx, never)).resolves.toMatchObject({
      workDir: harness.runDir(experimentId, 2),
    });
    const custom = `${harness.resource.workRoot}/${experimentId}/custom dir`;
    const overridden = harness.context(plugin, { resource: 'env-setup-test', workDir: custom }, experimentId);
    await expect(plugin.run(overridden.ctx, never)).resolves.toMatchObject({
      workDir: custom,
      logsDir: `${custom}/logs`,
    });
    expect(await harness.remote(`ls '${custom}'`)).toBe('inputs\nlogs\noutputs\n');
  });

  it('runs the setup commands in order, in the work directory, in one shell', async () => {
    const experimentId = harness.newExperiment('envsetup');
    const runDir = harness.runDir(experimentId);
    const { ctx, progress } = harness.context(
      plugin,
      {
        resource: 'env-setup-test',
        setupCommands: [
          'export WLM_GREETING="hello there"',
          'echo "$WLM_GREETING" > logs/setup.txt',
          'pwd >> logs/setup.txt',
          'greet() { echo "function $1"; }',
          'greet defined >> logs/setup.txt',
        ],
      },
      experimentId,
    );
    await plugin.run(ctx, never);
    expect(await harness.remote(`cat '${runDir}/logs/setup.txt'`)).toBe(
      `hello there\n${runDir}\nfunction defined\n`,
    );
    expect(progress.map((event) => event.message)).toContain(`running 5 setup commands in ${runDir}`);
  });

  it('stops at the first failing command and fails with its exit code and stderr, not retryable', async () => {
    const experimentId = harness.newExperiment('envsetup');
    const runDir = harness.runDir(experimentId);
    const { ctx } = harness.context(
      plugin,
      {
        resource: 'env-setup-test',
        setupCommands: ['touch logs/first', 'echo "cannot load module nope" >&2; exit 3', 'touch logs/third'],
      },
      experimentId,
    );
    const failure = await rejectionOf(plugin.run(ctx, never));
    expect(failure).toBeInstanceOf(TaskFailure);
    expect(failure).toMatchObject({ code: ENV_SETUP_FAILURE_CODES.SETUP_COMMAND_FAILED, retryable: false });
    const message = (failure as TaskFailure).message;
    expect(message).toMatch(
      /^setup command 2 of 3 failed: compute resource "env-setup-test" \(.*\): command exited/,
    );
    expect(message).toContain('exited with code 3: echo "cannot load module nope" >&2; exit 3');
    expect(message).toContain('stderr: cannot load module nope');
    const cause = (failure as TaskFailure).cause;
    expect(cause).toBeInstanceOf(RemoteCommandError);
    expect(cause).toMatchObject({ exitCode: 3, stderrTail: 'cannot load module nope\n' });
    expect(await harness.remote(`ls '${runDir}/logs'`)).toBe('first\n');
  });

  it('reports a command the shell cannot find with exit code 127', async () => {
    const experimentId = harness.newExperiment('envsetup');
    const { ctx } = harness.context(
      plugin,
      { resource: 'env-setup-test', setupCommands: ['wlm-no-such-command --flag'] },
      experimentId,
    );
    const failure = await rejectionOf(plugin.run(ctx, never));
    expect(failure).toMatchObject({ code: 'SETUP_COMMAND_FAILED', retryable: false });
    expect((failure as Error).message).toMatch(
      /setup command 1 of 1 failed: .*code 127: wlm-no-such-command --flag/s,
    );
    expect((failure as Error).message).toMatch(/not found/);
  });

  it('fails an unknown resource with RESOURCE_UNKNOWN, not retryable, naming the configured ones', async () => {
    const { ctx } = harness.context(plugin, { resource: 'nowhere' }, harness.newExperiment('envsetup'));
    const failure = await rejectionOf(plugin.run(ctx, never));
    expect(failure).toBeInstanceOf(TaskFailure);
    expect(failure).toMatchObject({ code: 'RESOURCE_UNKNOWN', retryable: false });
    expect((failure as Error).message).toContain(
      'unknown compute resource "nowhere" (configured: env-setup-test)',
    );
  });

  it('stops a setup command when the task is aborted', async () => {
    const experimentId = harness.newExperiment('envsetup');
    const controller = new AbortController();
    const { ctx } = harness.context(
      plugin,
      { resource: 'env-setup-test', setupCommands: ['sleep 30', 'touch logs/after-sleep'] },
      experimentId,
    );
    let abortedAt = 0;
    const aborting: TaskContext<EnvSetupParams> = {
      ...ctx,
      progress: (message) => {
        // Once the commands are running (their shell takes a moment to start, so give it one).
        if (message.startsWith('running ')) {
          setTimeout(() => {
            abortedAt = Date.now();
            controller.abort(new Error('task cancelled'));
          }, 1_500);
        }
      },
    };
    await expect(plugin.run(aborting, controller.signal)).rejects.toThrow('task cancelled');
    expect(Date.now() - abortedAt).toBeLessThan(2_000);
    expect(await harness.remote(`ls '${harness.runDir(experimentId)}/logs'`)).toBe('');
  });
});

import { TaskAbort } from '@wlm/commons/plugin';
import { PATH_OUTSIDE_ROOTS } from '@wlm/commons/remote';
import { readFileSync } from 'node:fs';
import { eventually } from '@wlm/test-support';
import { newTask, runToEnd, useJobResources } from '../support/job-harness';

/*
 * The `local` batch adapter on a resource without a batch system: the job is a detached process on
 * the resource (here the stack's sshd host), behind the same plugin and the same rounds as SLURM.
 */

jest.setTimeout(60_000);

useJobResources(() => ({ plain: { batchSystem: 'local', defaultQueue: undefined, env: {} } }));

const quick = { pollMs: 200, maxPollMs: 500 };

/** Whether a process runs: the test shares the resource's machine. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('job-submission with the local adapter', () => {
  it('runs the job as a process that outlives its round, and follows it to COMPLETED', async () => {
    const task = newTask();
    const params = {
      resource: 'plain',
      command: 'sleep 2; echo "$WHO" > who.txt',
      environment: { WHO: 'local job' },
      monitor: { ...quick, roundMs: 1000 },
    };
    const { outcome, rounds } = await runToEnd(params, { task, maxRounds: 20 });
    if (outcome.kind !== 'completed') throw new Error(`expected completed, got ${JSON.stringify(outcome)}`);
    expect(rounds).toBeGreaterThan(1);
    expect(outcome.outputs).toMatchObject({ batchSystem: 'local', state: 'COMPLETED', exitCode: 0 });
    expect(readFileSync(`${String(outcome.outputs['workDir'])}/who.txt`, 'utf8')).toBe('local job\n');
  });

  it('refuses a workDir outside the work root before submitting, not retryably', async () => {
    const { outcome } = await runToEnd(
      { resource: 'plain', workDir: '/tmp/../etc', command: 'touch escaped', monitor: quick },
      { task: newTask(), maxRounds: 1 },
    );
    if (outcome.kind !== 'failed') throw new Error(`expected failed, got ${JSON.stringify(outcome)}`);
    expect(outcome.failure).toMatchObject({ code: PATH_OUTSIDE_ROOTS, retryable: false });
    expect(outcome.failure.message).toMatch(/^workDir: \/etc is outside the directories tasks may use/);
  });

  it('fails with the exit code and stderr of a process that exits non-zero', async () => {
    const { outcome } = await runToEnd(
      { resource: 'plain', command: 'echo "no such input" >&2; exit 4', monitor: quick },
      { task: newTask(), maxRounds: 20 },
    );
    if (outcome.kind !== 'failed') throw new Error(`expected failed, got ${JSON.stringify(outcome)}`);
    expect(outcome.failure.code).toBe('JOB_FAILED');
    expect(outcome.failure.message).toMatch(
      /^process \d+ ended FAILED with exit code 4 \(NonZeroExitCode\); its stderr ends with: no such input$/,
    );
  });

  it('stops the process group when the task is aborted', async () => {
    const progress: string[] = [];
    const abort = new AbortController();
    const running = runToEnd(
      { resource: 'plain', command: 'sleep 300', monitor: quick },
      { task: newTask(), progress, signal: abort.signal, maxRounds: 20 },
    );
    const [submitted] = await eventually(
      'the process started',
      () => progress,
      (seen) => seen.some((m) => m.endsWith('RUNNING')),
      20_000,
    );
    const pid = Number(/^process (\d+)/.exec(submitted ?? '')?.[1]);
    expect(alive(pid)).toBe(true);
    abort.abort(new TaskAbort('cancel', 'the user cancelled the experiment'));
    await expect(running).rejects.toBeDefined();
    await eventually(
      'the process gone',
      () => alive(pid),
      (running) => !running,
      10_000,
    );
  });
});

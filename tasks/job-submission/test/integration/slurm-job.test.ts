import { TaskAbort } from '@wlm/commons/plugin';
import { readFileSync } from 'node:fs';
import { eventually } from '@wlm/test-support';
import { cancelBetweenRounds, newTask, runRound, runToEnd, useJobResources } from '../support/job-harness';
import {
  occupyTheNode,
  slurm,
  slurmJobsNamed,
  slurmJobState,
} from '../../../../scripts/test/support/slurm-client';

/*
 * The job-submission plugin against the stack's real sshd and single-node SLURM: rounds, failures
 * with SLURM's state and reason, cancels observed in SLURM, and no second submission of a job.
 */

jest.setTimeout(240_000);

useJobResources(() => ({ hpc: { limits: { maxNodes: 1 } } }));

const quick = { pollMs: 200, maxPollMs: 1000 };

describe('job-submission on SLURM', () => {
  it('submits the job, follows it to COMPLETED and records the job id and output paths', async () => {
    const task = newTask();
    const progress: string[] = [];
    const { outcome } = await runToEnd(
      {
        resource: 'hpc',
        command: 'echo "$GREETING from $(hostname)" > result.txt; echo done',
        environment: { GREETING: 'hello world' },
        monitor: quick,
      },
      { task, progress, maxRounds: 20 },
    );
    if (outcome.kind !== 'completed') throw new Error(`expected completed, got ${JSON.stringify(outcome)}`);
    const { outputs } = outcome;
    expect(outputs).toMatchObject({ resource: 'hpc', batchSystem: 'slurm', state: 'COMPLETED', exitCode: 0 });
    expect(outputs['jobId']).toMatch(/^\d+$/);
    expect(slurmJobState(String(outputs['jobId']))).toBe('COMPLETED');
    const workDir = String(outputs['workDir']);
    expect(workDir).toMatch(new RegExp(`/${task.experimentId}/1$`));
    expect(readFileSync(`${workDir}/result.txt`, 'utf8')).toMatch(/^hello world from /);
    expect(readFileSync(String(outputs['stdoutPath']), 'utf8')).toBe('done\n');
    expect(progress[0]).toBe(`SLURM job ${String(outputs['jobId'])} submitted`);
    expect(progress).toContain(`SLURM job ${String(outputs['jobId'])}: COMPLETED with exit code 0`);
  });

  it('fails with the exit code, SLURM state and the tail of stderr when the job exits non-zero', async () => {
    const task = newTask();
    const { outcome } = await runToEnd(
      { resource: 'hpc', command: 'echo "cannot read input.dat" >&2; exit 3', monitor: quick },
      { task, maxRounds: 20 },
    );
    if (outcome.kind !== 'failed') throw new Error(`expected failed, got ${JSON.stringify(outcome)}`);
    expect(outcome.failure.code).toBe('JOB_FAILED');
    expect(outcome.failure.retryable).toBe(false);
    expect(outcome.failure.message).toMatch(
      /^SLURM job \d+ ended FAILED with exit code 3 \(NonZeroExitCode\)/,
    );
    expect(outcome.failure.message).toContain('cannot read input.dat');
  });

  it('fails as JOB_TIMED_OUT when the job runs past its wall time', async () => {
    const task = newTask();
    const { outcome } = await runToEnd(
      {
        resource: 'hpc',
        command: 'sleep 600',
        wallTimeMinutes: 1,
        monitor: { pollMs: 1000, maxPollMs: 5000 },
      },
      { task, maxRounds: 5 },
    );
    if (outcome.kind !== 'failed') throw new Error(`expected failed, got ${JSON.stringify(outcome)}`);
    expect(outcome.failure.code).toBe('JOB_TIMED_OUT');
    expect(outcome.failure.message).toMatch(/ended TIMEOUT/);
  });

  it('ends a round with the job in its checkpoint, and the next rounds follow that job to its end', async () => {
    const task = newTask();
    const params = {
      resource: 'hpc',
      command: 'sleep 4; echo finished',
      monitor: { ...quick, roundMs: 1000 },
    };
    const first = await runRound(params, { task });
    if (first.kind !== 'continued') throw new Error(`expected continued, got ${JSON.stringify(first)}`);
    const { checkpoint } = first.continuation;
    expect(checkpoint).toMatchObject({ job: { id: expect.stringMatching(/^\d+$/) } });
    // The first round ends once the job is submitted: its assignment is acked then.
    expect(first.continuation.message).toMatch(/^SLURM job \d+ submitted$/);

    const { outcome, rounds } = await runToEnd(params, { task, checkpoint, maxRounds: 30 });
    expect(rounds).toBeGreaterThan(1);
    expect(outcome).toMatchObject({ kind: 'completed', outputs: { state: 'COMPLETED' } });
    const jobId = (checkpoint as { job: { id: string } }).job.id;
    expect(outcome.kind === 'completed' && outcome.outputs['jobId']).toBe(jobId);
    expect(slurmJobsNamed(`wlm-${task.experimentId}-${task.taskId}`)).toHaveLength(1);
  });

  it('finds the job of a first round that runs again instead of submitting a second one', async () => {
    const task = newTask();
    const params = { resource: 'hpc', command: 'sleep 30', monitor: { ...quick, roundMs: 1000 } };
    const progress: string[] = [];
    const first = await runRound(params, { task });
    const again = await runRound(params, { task, progress });
    try {
      expect(first.kind === 'continued' && again.kind === 'continued').toBe(true);
      const jobOf = (outcome: typeof first): unknown =>
        outcome.kind === 'continued'
          ? (outcome.continuation.checkpoint as { job: { id: string } }).job.id
          : null;
      expect(jobOf(again)).toBe(jobOf(first));
      expect(progress[0]).toBe(`SLURM job ${String(jobOf(first))} found, submitted earlier`);
      expect(slurmJobsNamed(`wlm-${task.experimentId}-${task.taskId}`)).toHaveLength(1);
    } finally {
      if (first.kind === 'continued')
        await cancelBetweenRounds(params, { task, checkpoint: first.continuation.checkpoint });
    }
  });

  it('cancels a running job with scancel when the task is aborted mid-round', async () => {
    const task = newTask();
    const progress: string[] = [];
    const abort = new AbortController();
    const running = runToEnd(
      { resource: 'hpc', command: 'sleep 300', monitor: quick },
      { task, progress, signal: abort.signal, maxRounds: 20 },
    );
    await eventually(
      'the job RUNNING',
      () => progress,
      (messages) => messages.some((message) => / RUNNING$/.test(message)),
      30_000,
    );
    abort.abort(new TaskAbort('cancel', 'the user cancelled the experiment'));
    await expect(running).rejects.toBeDefined();
    const jobId = slurmJobsNamed(`wlm-${task.experimentId}-${task.taskId}`)[0]?.id ?? '';
    await eventually(
      'the job CANCELLED',
      () => slurmJobState(jobId),
      (state) => state === 'CANCELLED',
      30_000,
    );
  });

  it('leaves the job running when a round is stopped for its worker shutting down', async () => {
    const task = newTask();
    const progress: string[] = [];
    const abort = new AbortController();
    const params = { resource: 'hpc', command: 'sleep 300', monitor: quick };
    const running = runToEnd(params, { task, progress, signal: abort.signal, maxRounds: 20 });
    await eventually(
      'the job RUNNING',
      () => progress,
      (messages) => messages.some((message) => / RUNNING$/.test(message)),
      30_000,
    );
    abort.abort(new TaskAbort('shutdown', 'the worker is shutting down'));
    await expect(running).rejects.toBeDefined();
    const jobId = slurmJobsNamed(`wlm-${task.experimentId}-${task.taskId}`)[0]?.id ?? '';
    try {
      // Proves an absence: a shutdown must leave the job running, and a scancel would show by then.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(slurmJobState(jobId)).toBe('RUNNING');
    } finally {
      slurm('scancel', [jobId]);
    }
  });

  it('cancels a queued job with scancel when the task is cancelled between rounds', async () => {
    // A job holding every CPU of the one node keeps the task's job PENDING.
    const blocker = occupyTheNode();
    try {
      const task = newTask();
      const params = { resource: 'hpc', command: 'echo never', monitor: { ...quick, roundMs: 1000 } };
      const first = await runRound(params, { task });
      if (first.kind !== 'continued') throw new Error(`expected continued, got ${JSON.stringify(first)}`);
      const jobId = (first.continuation.checkpoint as { job: { id: string } }).job.id;
      await eventually(
        'the job PENDING',
        () => slurmJobState(jobId),
        (state) => state === 'PENDING',
        30_000,
      );

      await cancelBetweenRounds(params, { task, checkpoint: first.continuation.checkpoint });
      await eventually(
        'the job CANCELLED',
        () => slurmJobState(jobId),
        (state) => state === 'CANCELLED',
        30_000,
      );
    } finally {
      slurm('scancel', [blocker]);
    }
  });

  it('refuses a job that asks for more than the resource allows, before submitting anything', async () => {
    const task = newTask();
    const outcome = await runRound({ resource: 'hpc', command: 'true', nodes: 4 }, { task });
    expect(outcome).toMatchObject({
      kind: 'failed',
      failure: { code: 'RESOURCE_LIMIT_EXCEEDED', retryable: false },
    });
    expect(outcome.kind === 'failed' && outcome.failure.message).toContain('nodes 4 > 1');
    expect(slurmJobsNamed(`wlm-${task.experimentId}-${task.taskId}`)).toEqual([]);
  });

  it('fails on an unknown compute resource, naming the configured ones', async () => {
    const outcome = await runRound({ resource: 'nowhere', command: 'true' }, { task: newTask() });
    expect(outcome).toMatchObject({
      kind: 'failed',
      failure: { code: 'RESOURCE_UNKNOWN', retryable: false },
    });
    expect(outcome.kind === 'failed' && outcome.failure.message).toContain('configured: hpc');
  });
});

import { sharedSshPool } from '@wlm/commons/remote';
import { newTask, runRound, runToEnd, useJobResources } from '../support/job-harness';
import { slurm, slurmJobState, slurmJobsNamed } from '../../../../scripts/test/support/slurm-client';
import { PrivateSshd } from '../support/private-sshd';

/*
 * The compute resource's sshd goes away while a SLURM job runs: the rounds that follow the job wait
 * it out from their checkpoint (never submitting again), and pick the job up when sshd is back.
 */

jest.setTimeout(120_000);

let sshd: PrivateSshd;

beforeAll(async () => {
  sshd = await PrivateSshd.start();
});

// After the hook above, which starts the sshd this resource names.
useJobResources(() => ({
  flaky: {
    port: sshd.port,
    hostKey: PrivateSshd.hostKey(),
    knownHostsFile: undefined,
    connection: { maxAttempts: 2, backoffMs: 100, maxBackoffMs: 200, connectTimeoutMs: 3000 },
  },
}));

afterAll(async () => {
  await sshd?.stop();
});

/** sshd stops listening, and the pooled connection goes with it (as when the host goes down). */
async function takeSshDown(): Promise<void> {
  await sshd.pause();
  await sharedSshPool().close();
}

function jobIdOf(checkpoint: unknown): string {
  return (checkpoint as { job: { id: string } }).job.id;
}

describe('job-submission while the compute resource is unreachable', () => {
  it('keeps following the submitted job across an sshd restart, without submitting it again', async () => {
    const task = newTask();
    const params = {
      resource: 'flaky',
      command: 'sleep 6; echo ok',
      monitor: { pollMs: 200, maxPollMs: 1000, roundMs: 1000 },
    };
    const first = await runRound(params, { task });
    if (first.kind !== 'continued') throw new Error(`expected continued, got ${JSON.stringify(first)}`);
    const jobId = jobIdOf(first.continuation.checkpoint);

    await takeSshDown();
    const blind = await runRound(params, { task, checkpoint: first.continuation.checkpoint });
    if (blind.kind !== 'continued') throw new Error(`expected continued, got ${JSON.stringify(blind)}`);
    expect(blind.continuation.message).toMatch(
      new RegExp(`^SLURM job ${jobId}: status unavailable \\(.*refused`),
    );
    expect(blind.continuation.checkpoint).toMatchObject({
      job: { id: jobId },
      unreachableSince: expect.any(String),
    });

    await sshd.resume();
    const { outcome } = await runToEnd(params, {
      task,
      checkpoint: blind.continuation.checkpoint,
      maxRounds: 30,
    });
    expect(outcome).toMatchObject({ kind: 'completed', outputs: { jobId, state: 'COMPLETED', exitCode: 0 } });
    expect(slurmJobsNamed(`wlm-${task.experimentId}-${task.taskId}`)).toHaveLength(1);
  });

  it('fails as retryable, naming what failed, once the resource stays away past the limit', async () => {
    const task = newTask();
    const params = {
      resource: 'flaky',
      command: 'sleep 120',
      monitor: { pollMs: 200, maxPollMs: 1000, roundMs: 1000, unreachableLimitMs: 1000 },
    };
    const first = await runRound(params, { task });
    if (first.kind !== 'continued') throw new Error(`expected continued, got ${JSON.stringify(first)}`);
    const jobId = jobIdOf(first.continuation.checkpoint);
    try {
      await takeSshDown();
      const blind = await runRound(params, { task, checkpoint: first.continuation.checkpoint });
      if (blind.kind !== 'continued') throw new Error(`expected continued, got ${JSON.stringify(blind)}`);
      // The time itself is the condition: just past unreachableLimitMs.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const given = await runRound(params, { task, checkpoint: blind.continuation.checkpoint });
      if (given.kind !== 'failed') throw new Error(`expected failed, got ${JSON.stringify(given)}`);
      expect(given.failure.code).toBe('SSH_CONNECT_REFUSED');
      expect(given.failure.retryable).toBe(true);
      expect(given.failure.message).toMatch(
        new RegExp(`^SLURM job ${jobId}: no answer for \\d+ s: compute resource "flaky"`),
      );
    } finally {
      await sshd.resume();
      slurm('scancel', [jobId]);
    }
    expect(['CANCELLED', 'COMPLETING']).toContain(slurmJobState(jobId));
  });
});

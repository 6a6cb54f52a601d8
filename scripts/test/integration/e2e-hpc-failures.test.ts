import { HPC_RESOURCE, HpcSystem } from '../support/hpc-system';
import { occupyTheNode, slurm, slurmJobsNamed } from '../support/slurm-client';
import { eventually } from '@wlm/test-support';

/*
 * A SLURM job under a whole wlm (orchestrator, scheduler, workers) when things go wrong: the
 * experiment is cancelled while its job runs or while it waits between rounds (scancel observed in
 * SLURM), and the worker following the job is killed (another one carries on; no second job).
 */

jest.setTimeout(240_000);

let system: HpcSystem;
let jobType: string;

beforeAll(async () => {
  system = await HpcSystem.start({ workers: 1 });
  jobType = system.type('one-job');
  await system.putDag({
    type: jobType,
    tasks: [
      {
        id: 'run-job',
        type: 'job-submission',
        params: {
          resource: '{{inputs.resource}}',
          command: '{{inputs.command}}',
          monitor: '{{inputs.monitor}}',
        },
        retry: { maxAttempts: 1, backoffMs: 0 },
      },
    ],
  });
});

afterAll(async () => {
  await system?.stop();
});

/** The SLURM job of an experiment's `run-job` task, once SLURM shows it in `state`. */
async function jobIn(
  experimentId: string,
  states: readonly string[],
): Promise<{ id: string; state: string }> {
  const [job] = await eventually(
    `the job of ${experimentId} in ${states.join(' or ')}`,
    () => slurmJobsNamed(`wlm-${experimentId}-run-job`),
    (jobs) => jobs.length > 0 && states.includes(jobs[0]?.state ?? ''),
    60_000,
  );
  if (job === undefined) throw new Error('no job');
  return job;
}

async function cancel(experimentId: string): Promise<void> {
  await system.api(`/api/experiments/${experimentId}/cancel`, {});
}

describe('end to end: SLURM jobs when things go wrong', () => {
  it('cancelling the experiment while its job runs cancels the job in SLURM', async () => {
    const id = await system.submit(jobType, {
      resource: HPC_RESOURCE,
      command: 'sleep 300',
      monitor: { pollMs: 500, maxPollMs: 2000, roundMs: 120_000 },
    });
    const job = await jobIn(id, ['RUNNING']);
    // Its first round ended as soon as the job was submitted, and the experiment says so — once the
    // orchestrator has that round's end, which SLURM may beat in starting the job.
    await eventually(
      'the experiment to show the job submitted',
      async () => (await system.experiment(id)).tasks[0]?.waitingFor,
      (waitingFor) => waitingFor === `SLURM job ${job.id} submitted`,
    );

    await cancel(id);
    expect((await system.ended(id)).state).toBe('CANCELLED');
    await jobIn(id, ['CANCELLED']);
    expect(slurmJobsNamed(`wlm-${id}-run-job`)).toEqual([{ id: job.id, state: 'CANCELLED' }]);
  });

  it('cancelling the experiment while its queued job waits between rounds cancels the job in SLURM', async () => {
    const blocker = occupyTheNode();
    try {
      const id = await system.submit(jobType, {
        resource: HPC_RESOURCE,
        command: 'echo never',
        // Short rounds and a long wait between them: the cancel most likely finds the next round
        // held by the scheduler (else the round in progress cancels the job itself).
        monitor: { pollMs: 5_000, maxPollMs: 5_000, roundMs: 1_000 },
      });
      const job = await jobIn(id, ['PENDING']);
      await eventually(
        'a round to end with its checkpoint',
        async () => (await system.experiment(id)).tasks[0]?.runs.length ?? 0,
        (runs) => runs > 0,
        30_000,
      );
      await eventually(
        'the experiment to show the job pending',
        async () => (await system.experiment(id)).tasks[0]?.waitingFor,
        (waitingFor) => waitingFor?.startsWith(`SLURM job ${job.id}: PENDING`) === true,
        30_000,
      );

      await cancel(id);
      expect((await system.ended(id)).state).toBe('CANCELLED');
      await jobIn(id, ['CANCELLED']);
      expect(slurmJobsNamed(`wlm-${id}-run-job`)).toEqual([{ id: job.id, state: 'CANCELLED' }]);
    } finally {
      slurm('scancel', [blocker]);
    }
  });

  it('a worker killed while it follows the job: another worker carries on, and the job is not submitted again', async () => {
    const id = await system.submit(jobType, {
      resource: HPC_RESOURCE,
      command: 'sleep 20; echo done',
      monitor: { pollMs: 1_000, maxPollMs: 2_000, roundMs: 300_000 },
    });
    // The only worker submits the job and follows it; a second one joins once it runs.
    const job = await jobIn(id, ['RUNNING']);
    const [follower] = system.workerIds;
    if (follower === undefined) throw new Error('no worker');
    const successor = await system.addWorker();

    system.cluster.worker(follower).kill('SIGKILL');
    const done = await system.ended(id);

    const [task] = done.tasks;
    expect({ state: done.state, runs: task?.runs.map((run) => [run.state, run.reason]) }).toMatchObject({
      state: 'COMPLETED',
    });
    expect(task?.outputs).toMatchObject({ jobId: job.id, state: 'COMPLETED', exitCode: 0 });
    expect(task?.runs.at(-1)?.workerId).toBe(successor);
    expect(slurmJobsNamed(`wlm-${id}-run-job`)).toEqual([{ id: job.id, state: 'COMPLETED' }]);
  });
});

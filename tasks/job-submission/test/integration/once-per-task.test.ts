import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { eventually, waitFor } from '@wlm/test-support';
import { slurm, slurmJobsNamed } from '../../../../scripts/test/support/slurm-client';
import {
  cancelBetweenRounds,
  newTask,
  runRound,
  runToEnd,
  stackResource,
  useJobResources,
} from '../support/job-harness';
import type { RoundOptions, RoundOutcome } from '../support/job-harness';

/*
 * One batch job per task, not per attempt, against the stack's real sshd and SLURM and the local
 * adapter: attempts after the first follow the job the record names, concurrent first rounds submit
 * one job between them, a rerun submits its own, and a submission whose record was left half-done
 * is found in the batch system rather than submitted again.
 */

jest.setTimeout(120_000);

const workRoot = stackResource().workRoot;
useJobResources(() => ({
  hpc: { limits: { maxNodes: 1 } },
  plain: { batchSystem: 'local', defaultQueue: undefined, env: {} },
}));

const quick = { pollMs: 200, maxPollMs: 1000, roundMs: 1000 };

type Task = RoundOptions['task'];

function jobOf(outcome: RoundOutcome): string {
  if (outcome.kind !== 'continued') throw new Error(`expected continued, got ${JSON.stringify(outcome)}`);
  return (outcome.continuation.checkpoint as { job: { id: string } }).job.id;
}

function slurmJobsOf(task: Task): { id: string; state: string }[] {
  return slurmJobsNamed(`wlm-${task.experimentId}-${task.taskId}`);
}

/** The task's files in its run directory, as the test (on the resource's machine) sees them. */
function runFiles(
  task: Task,
  run = 1,
): { jobs: string; record: string; lock: string; script: string; runs: string } {
  const runDir = `${workRoot}/${task.experimentId}/${run}`;
  return {
    jobs: `${runDir}/jobs`,
    record: `${runDir}/jobs/${task.taskId}.job`,
    lock: `${runDir}/jobs/${task.taskId}.lock`,
    script: `${runDir}/jobs/${task.taskId}.sh`,
    runs: `${runDir}/runs.txt`,
  };
}

/** How many times the job's command ran: each run appends a line to `runs.txt` in its run directory. */
function executions(task: Task, run = 1): number {
  const { runs } = runFiles(task, run);
  return existsSync(runs) ? readFileSync(runs, 'utf8').split('\n').filter(Boolean).length : 0;
}

/** What a shell killed between marking the record and writing the job id leaves behind. */
function interruptedSubmission(task: Task): void {
  const { jobs, record } = runFiles(task);
  mkdirSync(jobs, { recursive: true });
  writeFileSync(record, 'submitting\n');
}

/** How many processes have `path` open: the remote shells of the rounds hold the task's lock file. */
function openedBy(path: string): number {
  const real = realpathSync(path);
  let count = 0;
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (readdirSync(`/proc/${pid}/fd`).some((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`) === real)) {
        count += 1;
      }
    } catch {
      // the process ended, or is not ours to look at
    }
  }
  return count;
}

/**
 * Starts `rounds` first rounds of different attempts at once while the test holds the task's lock,
 * as a round in the middle of its submission would: none may submit until the lock is free, then
 * exactly one does. Resolves with each round's outcome and progress.
 */
async function roundsBehindTheLock(
  params: Record<string, unknown>,
  task: Task,
  rounds: number,
): Promise<{ outcome: RoundOutcome; progress: string[] }[]> {
  const { jobs, lock } = runFiles(task);
  mkdirSync(jobs, { recursive: true });
  const holder = spawn('flock', ['-x', '-o', lock, 'sleep', '300'], { stdio: 'ignore' });
  try {
    await waitFor(
      'the test holding the lock',
      () => spawnSync('flock', ['-n', lock, 'true']).status !== 0,
      10_000,
    );
    const started = Array.from({ length: rounds }, (_, index) => {
      const progress: string[] = [];
      return runRound(params, { task, attempt: index + 1, progress }).then((outcome) => ({
        outcome,
        progress,
      }));
    });
    // Every round's shell waits on the lock (the holder, each shell and its `flock` have the file
    // open): not one has marked the record or submitted.
    await waitFor('every round waiting for the lock', () => openedBy(lock) >= 1 + 2 * rounds, 30_000);
    expect(existsSync(runFiles(task).record)).toBe(false);
    holder.kill();
    return await Promise.all(started);
  } finally {
    holder.kill();
  }
}

describe('one SLURM job per task', () => {
  it('a second attempt follows the job of the first to its end and reports its outcome', async () => {
    const task = newTask();
    const params = { resource: 'hpc', command: 'echo ran >> runs.txt; sleep 2; exit 3', monitor: quick };
    const jobId = jobOf(await runRound(params, { task, attempt: 1 }));

    const progress: string[] = [];
    const { outcome } = await runToEnd(params, { task, attempt: 2, progress, maxRounds: 30 });
    expect(progress[0]).toBe(`SLURM job ${jobId} found, submitted earlier`);
    if (outcome.kind !== 'failed') throw new Error(`expected failed, got ${JSON.stringify(outcome)}`);
    expect(outcome.failure).toMatchObject({ code: 'JOB_FAILED', retryable: false });
    expect(outcome.failure.message).toMatch(new RegExp(`^SLURM job ${jobId} ended FAILED with exit code 3`));
    expect(slurmJobsOf(task)).toEqual([{ id: jobId, state: 'FAILED' }]);
    expect(executions(task)).toBe(1);
    expect(readFileSync(runFiles(task).record, 'utf8')).toBe(`submitted\n${jobId}\n`);
  });

  it('a later attempt of a task whose job completed completes with that job, submitting nothing', async () => {
    const task = newTask();
    const params = { resource: 'hpc', command: 'echo ran >> runs.txt', monitor: quick };
    const { outcome: first } = await runToEnd(params, { task, attempt: 1, maxRounds: 30 });
    if (first.kind !== 'completed') throw new Error(`expected completed, got ${JSON.stringify(first)}`);

    const { outcome: again } = await runToEnd(params, { task, attempt: 3, maxRounds: 30 });
    expect(again).toMatchObject({
      kind: 'completed',
      outputs: { jobId: first.outputs['jobId'], state: 'COMPLETED' },
    });
    expect(slurmJobsOf(task)).toHaveLength(1);
    expect(executions(task)).toBe(1);
  });

  it('concurrent first rounds of different attempts submit exactly one job between them', async () => {
    const task = newTask();
    const params = { resource: 'hpc', command: 'echo ran >> runs.txt; sleep 30', monitor: quick };
    const rounds = await roundsBehindTheLock(params, task, 6);
    const ids = rounds.map(({ outcome }) => jobOf(outcome));
    const jobId = ids[0] ?? '';
    try {
      expect(new Set(ids)).toEqual(new Set([jobId]));
      const said = rounds.map(({ progress }) => progress[0]).sort();
      expect(said).toEqual([
        ...Array<string>(5).fill(`SLURM job ${jobId} found, submitted earlier`),
        `SLURM job ${jobId} submitted`,
      ]);
      expect(slurmJobsOf(task).map((job) => job.id)).toEqual([jobId]);
    } finally {
      slurm('scancel', [jobId]);
    }
  });

  it('a rerun of the experiment submits a job of its own, in its own run directory', async () => {
    const task = newTask();
    const params = { resource: 'hpc', command: 'sleep 30', monitor: quick };
    const first = jobOf(await runRound(params, { task, run: 1 }));
    const second = jobOf(await runRound(params, { task, run: 2 }));
    try {
      expect(second).not.toBe(first);
      expect(
        slurmJobsOf(task)
          .map((job) => job.id)
          .sort(),
      ).toEqual([first, second].sort());
      expect(readFileSync(runFiles(task, 1).record, 'utf8')).toBe(`submitted\n${first}\n`);
      expect(readFileSync(runFiles(task, 2).record, 'utf8')).toBe(`submitted\n${second}\n`);
    } finally {
      slurm('scancel', [first, second]);
    }
  });

  it('adopts the job SLURM knows for the script of a submission whose record was left half-done', async () => {
    const task = newTask();
    interruptedSubmission(task);
    // What the killed shell had submitted: the task's script, under the task's job name.
    const { script } = runFiles(task);
    writeFileSync(script, '#!/bin/bash\nsleep 30\n');
    const name = `wlm-${task.experimentId}-${task.taskId}`;
    const submitted = slurm('sbatch', [
      '--parsable',
      `--job-name=${name}`,
      '--output=/dev/null',
      script,
    ]).trim();
    try {
      const progress: string[] = [];
      const round = await runRound(
        { resource: 'hpc', command: 'sleep 30', monitor: quick },
        { task, attempt: 2, progress },
      );
      expect(jobOf(round)).toBe(submitted);
      expect(progress[0]).toBe(
        `SLURM job ${submitted} found in the batch system after an interrupted submission`,
      );
      expect(slurmJobsOf(task).map((job) => job.id)).toEqual([submitted]);
      expect(readFileSync(runFiles(task).record, 'utf8')).toBe(`submitted\n${submitted}\n`);
    } finally {
      slurm('scancel', [submitted]);
    }
  });

  it('submits once when a half-done record names a submission SLURM never received', async () => {
    const task = newTask();
    interruptedSubmission(task);
    const params = { resource: 'hpc', command: 'echo ran >> runs.txt', monitor: quick };
    const progress: string[] = [];
    const { outcome } = await runToEnd(params, { task, attempt: 2, progress, maxRounds: 30 });
    expect(outcome).toMatchObject({ kind: 'completed', outputs: { state: 'COMPLETED' } });
    expect(progress[0]).toMatch(/^SLURM job \d+ submitted$/);
    expect(slurmJobsOf(task)).toHaveLength(1);
    expect(executions(task)).toBe(1);
  });

  it('a cancel with no checkpoint cancels the job the record names', async () => {
    const task = newTask();
    const params = { resource: 'hpc', command: 'sleep 300', monitor: quick };
    const jobId = jobOf(await runRound(params, { task, attempt: 1 }));
    // The attempt that reported the job is gone; the task is cancelled before any round of the next.
    await cancelBetweenRounds(params, { task, attempt: 2 });
    await eventually(
      'the job CANCELLED',
      () => slurmJobsOf(task),
      (jobs) => jobs.length === 1 && jobs[0]?.id === jobId && jobs[0].state === 'CANCELLED',
      30_000,
    );
  });
});

describe('one local process per task', () => {
  it('a second attempt follows the process of the first to its end, which ran once', async () => {
    const task = newTask();
    const params = { resource: 'plain', command: 'echo ran >> runs.txt; sleep 2', monitor: quick };
    const pid = jobOf(await runRound(params, { task, attempt: 1 }));

    const progress: string[] = [];
    const { outcome } = await runToEnd(params, { task, attempt: 2, progress, maxRounds: 30 });
    expect(progress[0]).toBe(`process ${pid} found, submitted earlier`);
    expect(outcome).toMatchObject({ kind: 'completed', outputs: { jobId: pid, state: 'COMPLETED' } });
    expect(executions(task)).toBe(1);
  });

  it('concurrent first rounds of different attempts start exactly one process', async () => {
    const task = newTask();
    const params = { resource: 'plain', command: 'echo ran >> runs.txt; sleep 1', monitor: quick };
    const rounds = await roundsBehindTheLock(params, task, 6);
    const ids = new Set(rounds.map(({ outcome }) => jobOf(outcome)));
    expect(ids.size).toBe(1);
    const { outcome } = await runToEnd(params, { task, attempt: 7, maxRounds: 30 });
    expect(outcome).toMatchObject({ kind: 'completed', outputs: { jobId: [...ids][0] } });
    expect(executions(task)).toBe(1);
  });

  it('a rerun starts a process of its own', async () => {
    const task = newTask();
    const params = { resource: 'plain', command: 'echo ran >> runs.txt', monitor: quick };
    const first = await runToEnd(params, { task, run: 1, maxRounds: 30 });
    const second = await runToEnd(params, { task, run: 2, maxRounds: 30 });
    expect(first.outcome).toMatchObject({ kind: 'completed' });
    expect(second.outcome).toMatchObject({ kind: 'completed' });
    expect([executions(task, 1), executions(task, 2)]).toEqual([1, 1]);
  });

  it('adopts the process of a submission whose record was left half-done', async () => {
    const task = newTask();
    const params = { resource: 'plain', command: 'echo ran >> runs.txt; sleep 1', monitor: quick };
    const pid = jobOf(await runRound(params, { task, attempt: 1 }));
    // The shell that started it died before it recorded the pid: the process wrote its own.
    interruptedSubmission(task);
    const progress: string[] = [];
    const { outcome } = await runToEnd(params, { task, attempt: 2, progress, maxRounds: 30 });
    expect(progress[0]).toBe(`process ${pid} found in the batch system after an interrupted submission`);
    expect(outcome).toMatchObject({ kind: 'completed', outputs: { jobId: pid } });
    expect(executions(task)).toBe(1);
  });
});

import { SlurmBatchSystem } from '@wlm/task-job-submission';
import { parseScontrolFields, slurmStatus } from '../../src/batch';
import type { BatchJobSpec } from '@wlm/task-job-submission';

const spec: BatchJobSpec = {
  name: 'wlm-exp-1-simulate',
  workDir: '/scratch/wlm/exp 1/1',
  command: './simulate --fast',
  args: ['--label', "it's $HOME"],
  nodes: 2,
  cpusPerTask: 4,
  wallTimeMinutes: 30,
  memoryMb: 2048,
  queue: 'debug',
  environment: { OMP_NUM_THREADS: '4', GREETING: 'a b' },
  stdoutPath: '/scratch/wlm/exp 1/1/logs/simulate.out',
  stderrPath: '/scratch/wlm/exp 1/1/logs/simulate.err',
};

describe('SlurmBatchSystem', () => {
  const slurm = new SlurmBatchSystem();

  it('writes the resources as #SBATCH directives and the command with its arguments quoted', () => {
    expect(slurm.renderScript(spec).split('\n')).toEqual([
      '#!/bin/bash',
      '#SBATCH --nodes=2',
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --time=30',
      '#SBATCH --mem=2048M',
      '#SBATCH --partition=debug',
      "export OMP_NUM_THREADS='4'",
      "export GREETING='a b'",
      "cd '/scratch/wlm/exp 1/1'",
      `./simulate --fast '--label' 'it'\\''s $HOME'`,
      '',
    ]);
  });

  it('leaves out the directives of what the task does not ask for', () => {
    const minimal: BatchJobSpec = { ...spec, environment: {} };
    delete (minimal as { wallTimeMinutes?: number }).wallTimeMinutes;
    delete (minimal as { memoryMb?: number }).memoryMb;
    delete (minimal as { queue?: string }).queue;
    expect(slurm.renderScript(minimal)).not.toMatch(/--time|--mem|--partition|export/);
  });

  it('puts paths on the sbatch command line, quoted', () => {
    const command = slurm.submitCommand('/scratch/wlm/exp 1/1/jobs/simulate.sh', spec);
    expect(command).toBe(
      "sbatch --parsable --job-name='wlm-exp-1-simulate' --chdir='/scratch/wlm/exp 1/1' " +
        "--output='/scratch/wlm/exp 1/1/logs/simulate.out' --error='/scratch/wlm/exp 1/1/logs/simulate.err' " +
        "'/scratch/wlm/exp 1/1/jobs/simulate.sh'",
    );
  });

  it('finds a job by its name among every job SLURM remembers, then by its script', () => {
    const command = slurm.findCommand('/scratch/wlm/exp 1/1/jobs/simulate.sh', spec);
    expect(command).toMatch(/^jobs=\$\(squeue -h -t all -n 'wlm-exp-1-simulate' -o '%i\|%o'\) && /);
    expect(command).toContain("WLM_SCRIPT='/scratch/wlm/exp 1/1/jobs/simulate.sh' awk -F'|' ");
  });

  it('reads the job id from what sbatch --parsable prints, with or without a cluster name', () => {
    expect(slurm.jobIdOf('42\n')).toBe('42');
    expect(slurm.jobIdOf('sbatch: warning: something\n43;cluster1')).toBe('43');
    expect(slurm.jobIdOf('Submitted batch job 44')).toBeUndefined();
    expect(slurm.jobIdOf('')).toBeUndefined();
  });
});

describe('slurmStatus', () => {
  const line = (fields: string): ReturnType<typeof slurmStatus> => slurmStatus(parseScontrolFields(fields));

  it.each([
    [
      'JobId=7 JobName=x JobState=PENDING Reason=Priority Dependency=(null) ExitCode=0:0',
      'queued',
      'PENDING',
      0,
      'Priority',
    ],
    ['JobId=7 JobState=RUNNING Reason=None ExitCode=0:0', 'running', 'RUNNING', 0, undefined],
    ['JobId=7 JobState=COMPLETING Reason=None ExitCode=0:0', 'running', 'COMPLETING', 0, undefined],
    ['JobId=7 JobState=COMPLETED Reason=None ExitCode=0:0', 'completed', 'COMPLETED', 0, undefined],
    ['JobId=7 JobState=FAILED Reason=NonZeroExitCode ExitCode=7:0', 'failed', 'FAILED', 7, 'NonZeroExitCode'],
    ['JobId=7 JobState=TIMEOUT Reason=TimeLimit ExitCode=0:15', 'failed', 'TIMEOUT', 143, 'TimeLimit'],
    [
      'JobId=7 JobState=OUT_OF_MEMORY Reason=OutOfMemory ExitCode=0:125',
      'failed',
      'OUT_OF_MEMORY',
      253,
      'OutOfMemory',
    ],
    ['JobId=7 JobState=NODE_FAIL Reason=NodeDown ExitCode=0:0', 'failed', 'NODE_FAIL', 0, 'NodeDown'],
    ['JobId=7 JobState=CANCELLED Reason=None ExitCode=0:15', 'failed', 'CANCELLED', 143, undefined],
  ])('%s', (fields, phase, state, exitCode, reason) => {
    expect(line(fields)).toEqual({
      phase,
      state,
      exitCode,
      ...(reason === undefined ? {} : { reason }),
    });
  });

  it("reads sacct's `CANCELLED by 0` as CANCELLED", () => {
    expect(
      slurmStatus(
        new Map([
          ['JobState', 'CANCELLED by 0'],
          ['ExitCode', '0:0'],
        ]),
      ),
    ).toMatchObject({
      phase: 'failed',
      state: 'CANCELLED',
    });
  });

  it('knows nothing from a line without a job state', () => {
    expect(line('JobId=7 ExitCode=0:0')).toBeUndefined();
  });
});

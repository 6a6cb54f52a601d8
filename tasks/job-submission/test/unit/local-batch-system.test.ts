import { LocalBatchSystem } from '@wlm/task-job-submission';
import type { BatchJobSpec } from '@wlm/task-job-submission';

const spec: BatchJobSpec = {
  name: 'wlm-exp-1-simulate',
  workDir: '/scratch/wlm/exp-1/1',
  command: './simulate',
  args: ['--steps', '10'],
  nodes: 1,
  cpusPerTask: 1,
  wallTimeMinutes: 2,
  environment: { MODE: 'fast' },
  stdoutPath: '/scratch/wlm/exp-1/1/logs/simulate.out',
  stderrPath: '/scratch/wlm/exp-1/1/logs/simulate.err',
};

describe('LocalBatchSystem', () => {
  const local = new LocalBatchSystem();

  it('writes a plain script: the environment, then the command from the work directory', () => {
    expect(local.renderScript(spec)).toBe(
      [
        '#!/bin/bash',
        "export MODE='fast'",
        "cd '/scratch/wlm/exp-1/1'",
        "./simulate '--steps' '10'",
        '',
      ].join('\n'),
    );
  });

  it('starts the script detached in its own session, under its wall time, keeping its exit status', () => {
    const command = local.submitCommand('/scratch/wlm/exp-1/1/jobs/simulate.sh', spec);
    expect(command).toMatch(
      /^cd '\/scratch\/wlm\/exp-1\/1' \|\| exit 1; setsid bash -c '.*' > \/dev\/null 2>&1 < \/dev\/null & echo \$!$/,
    );
    expect(command).toContain('timeout 120 bash');
    expect(command).toContain('simulate.sh.exit');
    // The job writes its own pid first, for a submission whose shell died before printing it.
    expect(command).toContain(
      `setsid bash -c 'echo $$ > '\\''/scratch/wlm/exp-1/1/jobs/simulate.sh.pid'\\''; `,
    );
  });

  it('finds a job by the pid file beside its script', () => {
    expect(local.findCommand('/scratch/wlm/exp-1/1/jobs/simulate.sh')).toBe(
      "if [ -s '/scratch/wlm/exp-1/1/jobs/simulate.sh.pid' ]; then cat '/scratch/wlm/exp-1/1/jobs/simulate.sh.pid'; fi",
    );
  });

  it('has no time limit when the task names no wall time', () => {
    const unlimited: BatchJobSpec = { ...spec };
    delete (unlimited as { wallTimeMinutes?: number }).wallTimeMinutes;
    expect(local.submitCommand('/s.sh', unlimited)).not.toContain('timeout');
  });

  it('reads the process id as the job id', () => {
    expect(local.jobIdOf('4242\n')).toBe('4242');
    expect(local.jobIdOf('bash: setsid: not found')).toBeUndefined();
  });
});

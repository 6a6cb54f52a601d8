import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig } from '@wlm/commons/config';
import { stackPaths } from '../../src';

const REPO = join(__dirname, '..', '..', '..');

/** SLURM's own view, through its client commands on this machine (the test's side, not wlm's). */
export function slurm(
  command: 'scontrol' | 'sbatch' | 'scancel' | 'squeue',
  args: readonly string[],
): string {
  return execFileSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, SLURM_CONF: stackPaths(loadConfig(), REPO).slurm.conf },
  });
}

/** The id and state of every job SLURM remembers by this name. */
export function slurmJobsNamed(name: string): { id: string; state: string }[] {
  return slurm('scontrol', ['show', 'job', '-o'])
    .split('\n')
    .filter((line) => line.includes(` JobName=${name} `))
    .map((line) => ({
      id: /JobId=(\d+)/.exec(line)?.[1] ?? '',
      state: /JobState=(\S+)/.exec(line)?.[1] ?? '',
    }));
}

/** One job's `JobState`. */
export function slurmJobState(jobId: string): string | undefined {
  return /JobState=(\S+)/.exec(slurm('scontrol', ['show', 'job', '-o', jobId]))?.[1];
}

/**
 * Starts a job holding every CPU of the one node, so that the next jobs stay PENDING; returns its id.
 * Its output goes nowhere: without `--output` SLURM writes `slurm-<id>.out` into the test's cwd.
 */
export function occupyTheNode(): string {
  const cpus = /CPUTot=(\d+)/.exec(slurm('scontrol', ['show', 'node', '-o']))?.[1] ?? '1';
  const options = ['--parsable', `--cpus-per-task=${cpus}`, '--output=/dev/null'];
  return slurm('sbatch', [...options, '--wrap', 'sleep 300']).trim();
}

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDagDefinition } from '@wlm/commons/dag';
import { HPC_RESOURCE, HpcSystem } from '../support/hpc-system';

/*
 * The hpc-job example end to end, for real: an orchestrator, the `wlm scheduler` and a `wlm worker`
 * serving env-setup, data-staging and job-submission, against the stack's sshd and SLURM. The input
 * is generated here, the job reads it and writes a result, and the result comes back with its
 * checksum and content in the experiment's outputs.
 */

jest.setTimeout(240_000);

const EXAMPLE = join(__dirname, '..', '..', '..', 'orchestrator', 'examples', 'hpc-job.yaml');
let system: HpcSystem;
let hpcType: string;

beforeAll(async () => {
  system = await HpcSystem.start({ workers: 1 });
  hpcType = system.type('hpc-job');
  await system.putDag({ ...parseDagDefinition(readFileSync(EXAMPLE, 'utf8')), type: hpcType });
});

afterAll(async () => {
  await system?.stop();
});

describe('end to end: the hpc-job example against sshd and SLURM', () => {
  it('stages a generated input in, runs the SLURM job on it and brings the result back with its checksum', async () => {
    const inputFile = join(system.scratch, 'input.txt');
    writeFileSync(inputFile, 'first line of the experiment\nsecond line\n');
    const resultsDir = join(system.scratch, 'results');
    const id = await system.submit(hpcType, { resource: HPC_RESOURCE, inputFile, resultsDir });
    const done = await system.ended(id);

    expect(done.tasks.map((task) => [task.taskId, task.state])).toEqual([
      ['env-setup', 'COMPLETED'],
      ['stage-in', 'COMPLETED'],
      ['run-job', 'COMPLETED'],
      ['stage-out', 'COMPLETED'],
    ]);
    expect(done.state).toBe('COMPLETED');
    const outputsOf = (taskId: string): Record<string, unknown> =>
      (done.tasks.find((task) => task.taskId === taskId)?.outputs ?? {}) as Record<string, unknown>;
    expect(outputsOf('run-job')).toMatchObject({ batchSystem: 'slurm', state: 'COMPLETED', exitCode: 0 });
    expect(outputsOf('run-job')['jobId']).toMatch(/^\d+$/);

    const expected = 'FIRST LINE OF THE EXPERIMENT\nSECOND LINE\n';
    const sha256 = createHash('sha256').update(expected).digest('hex');
    expect(outputsOf('stage-out')['files']).toEqual([
      expect.objectContaining({ bytes: expected.length, sha256, content: expected }),
    ]);
    expect(readFileSync(join(resultsDir, 'result.txt'), 'utf8')).toBe(expected);

    // The job's wait shows in the audit trail: the first round ended once the job was submitted.
    const audit = (await system.api(`/api/experiments/${id}/audit?limit=500`))['items'] as {
      type: string;
      taskId: string | null;
      reason: string | null;
    }[];
    const waits = audit.filter((entry) => entry.type === 'task.waiting');
    expect(waits[0]).toMatchObject({
      taskId: 'run-job',
      reason: `SLURM job ${String(outputsOf('run-job')['jobId'])} submitted`,
    });
  });
});

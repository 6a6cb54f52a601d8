import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '@wlm/commons/config';
import { stackComputeResource, stackPaths, stackStatus } from '@wlm/scripts';
import { eventually } from '@wlm/test-support';

// Runs against the SLURM cluster the integration project's globalSetup (test/support/ensure-stack.js)
// brought up with the rest of the stack. Jest ignores `testTimeout` inside a project entry.
jest.setTimeout(90_000);

const run = promisify(execFile);
const config = loadConfig();
const paths = stackPaths(config);
const env = { ...process.env, SLURM_CONF: paths.slurm.conf };
// This file's namespace: its jobs carry this name, and afterAll cancels whatever of them is left.
const jobName = `wlm-stack-slurm-test-${randomBytes(4).toString('hex')}`;
let workDir: string;
const submitted: string[] = [];

async function slurm(command: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(command, args, { env, cwd: workDir });
  return stdout.trim();
}

/** Submits `script` as a batch job of this file; output goes nowhere, so no file is left behind. */
async function sbatch(script: string, ...options: string[]): Promise<string> {
  const id = await slurm(
    'sbatch',
    '--parsable',
    `--job-name=${jobName}`,
    `--chdir=${workDir}`,
    '--output=/dev/null',
    ...options,
    '--wrap',
    script,
  );
  expect(id).toMatch(/^\d+$/);
  submitted.push(id);
  return id;
}

/** `JobState` and `ExitCode` of a job, from `scontrol show job` (there is no slurmdbd, so no sacct). */
async function jobState(id: string): Promise<{ state: string; exitCode: string }> {
  const shown = await slurm('scontrol', '--oneliner', 'show', 'job', id);
  return {
    state: /(?:^|\s)JobState=(\S+)/.exec(shown)?.[1] ?? '?',
    exitCode: /(?:^|\s)ExitCode=(\S+)/.exec(shown)?.[1] ?? '?',
  };
}

function untilState(
  id: string,
  wanted: string,
  timeoutMs = 30_000,
): Promise<{ state: string; exitCode: string }> {
  return eventually(
    `job ${id} to be ${wanted}`,
    () => jobState(id),
    (job) => job.state === wanted,
    timeoutMs,
  );
}

/** Local addresses (hex `IP:PORT` as /proc/net/tcp* prints them) of the sockets listening on `port`. */
function listenersOf(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) =>
    readFileSync(table, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((columns) => columns[3] === '0A' && columns[1]?.endsWith(`:${hexPort}`))
      .map((columns) => columns[1] ?? ''),
  );
}

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'wlm-slurm-test-'));
});

afterAll(async () => {
  // A failed assertion must not leave a 60 s sleeper holding a CPU of the shared node.
  if (submitted.length > 0) await run('scancel', submitted, { env }).catch(() => undefined);
  await run('scancel', [`--name=${jobName}`], { env }).catch(() => undefined);
  rmSync(workDir, { recursive: true, force: true });
});

describe('wlm stack SLURM', () => {
  it('reports slurm up on 127.0.0.1:6817 with its version', async () => {
    const statuses = await stackStatus({ config, withSlurm: true });
    expect(statuses.find((s) => s.name === 'slurm')).toMatchObject({
      state: 'up',
      address: '127.0.0.1:6817',
      version: expect.stringMatching(/^slurm \d+\.\d+/),
    });
  });

  it('binds slurmctld and slurmd to 127.0.0.1 only', () => {
    // 0100007F is 127.0.0.1 in /proc/net/tcp's byte order; 0.0.0.0 would be 00000000.
    expect(listenersOf(6817)).toEqual(['0100007F:1AA1']);
    expect(listenersOf(6818)).toEqual(['0100007F:1AA2']);
  });

  it('has an idle or busy node in the default partition debug', async () => {
    const partitions = await slurm('sinfo', '--noheader', '--format=%P %a %t');
    expect(partitions).toMatch(/^debug\* up (idle|mix|alloc|comp)$/m);
  });

  it('runs a batch job that exits 7 and reports it FAILED with exit code 7:0', async () => {
    const id = await sbatch('exit 7');
    await expect(untilState(id, 'FAILED')).resolves.toEqual({ state: 'FAILED', exitCode: '7:0' });
  });

  it('cancels a running job: CANCELLED', async () => {
    const id = await sbatch('sleep 60');
    await untilState(id, 'RUNNING');
    await slurm('scancel', id);
    const job = await untilState(id, 'CANCELLED');
    expect(job.state).toBe('CANCELLED');
  });

  it('submits through the compute resource: SSH with its key, SLURM_CONF on the command line', async () => {
    const resource = stackComputeResource(config);
    expect(statSync(resource.workRoot).mode & 0o777).toBe(0o755);
    const slurmConf = resource.env['SLURM_CONF'] ?? '';
    const remote =
      `SLURM_CONF=${slurmConf} sbatch --parsable --job-name=${jobName} ` +
      `--partition=${resource.defaultQueue} --chdir=${resource.workRoot} --output=/dev/null --wrap 'exit 3'`;
    const result = spawnSync(
      'ssh',
      [
        ...['-i', resource.privateKeyFile, '-p', String(resource.port)],
        ...['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${resource.knownHostsFile}`],
        ...['-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=10'],
        `${resource.user}@${resource.host}`,
        remote,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status: 0 });
    const id = result.stdout.trim();
    expect(id).toMatch(/^\d+$/);
    submitted.push(id);
    await expect(untilState(id, 'FAILED')).resolves.toEqual({ state: 'FAILED', exitCode: '3:0' });
  });
});

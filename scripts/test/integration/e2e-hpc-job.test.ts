import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, loadConfig, parseDagDefinition } from '@wlm/commons';
import { Orchestrator } from '@wlm/orchestrator';
import type { ExperimentView } from '@wlm/orchestrator';
import { stackComputeResource } from '../../src';
import { testDatabase } from '../../../orchestrator/test/integration/support/test-database';
import { ensureBuilt } from '../../../workers/test/support/ensure-built';
import { E2eCluster } from '../support/e2e-cluster';
import { eventually } from '../support/wait';

/*
 * The hpc-job example end to end, for real: an orchestrator, the `wlm scheduler` and a `wlm worker`
 * serving env-setup, data-staging and job-submission, against the stack's sshd and SLURM. The input
 * is generated here, the job reads it and writes a result, and the result comes back with its
 * checksum and content in the experiment's outputs.
 */

jest.setTimeout(240_000);

const REPO = join(__dirname, '..', '..', '..');
const TOKEN = 'e2e-hpc-token-0123456789';
const db = testDatabase('hpc');
let cluster: E2eCluster;
let orchestrator: Orchestrator;
let scratch: string;
let hpcType: string;

async function api(
  path: string,
  body?: unknown,
  method = body === undefined ? 'GET' : 'POST',
): Promise<Record<string, unknown>> {
  const response = await fetch(`${orchestrator.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(parsed)}`);
  return parsed;
}

/** The experiment once it ended; a timeout names each task's state and its last run's reason. */
async function experimentEnded(id: string): Promise<ExperimentView> {
  let last: ExperimentView | undefined;
  try {
    return await eventually(
      `experiment ${id} to end`,
      async () => (last = (await api(`/api/experiments/${id}`)) as unknown as ExperimentView),
      (view) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(view.state),
      120_000,
    );
  } catch (error) {
    const tasks = last?.tasks.map(
      (task) => `${task.taskId}=${task.state} ${JSON.stringify(task.runs.at(-1) ?? null)}`,
    );
    throw new Error(`${(error as Error).message.slice(0, 200)}\ntasks: ${tasks?.join('\n') ?? 'none'}`);
  }
}

beforeAll(async () => {
  ensureBuilt(['scripts']);
  scratch = mkdtempSync(join(tmpdir(), 'wlm-e2e-hpc-'));
  const configFile = join(scratch, 'wlm.json');
  writeFileSync(
    configFile,
    JSON.stringify({ resources: { cluster: stackComputeResource(loadConfig(), REPO) } }),
  );
  cluster = await E2eCluster.start({ withOrchestrator: true });
  await cluster.startScheduler();
  await cluster.startWorker({
    name: 'hpc',
    tasks: 'env-setup,data-staging,job-submission',
    slots: 4,
    env: { WLM_CONFIG: configFile },
  });
  const config = loadConfig({ env: { ...process.env, WLM_MYSQL_URL: db.url, WLM_API_TOKEN: TOKEN } });
  orchestrator = await Orchestrator.start({
    config,
    logger: createLogger({ component: 'e2e-hpc', level: 'silent', pretty: false }),
    namespace: cluster.namespace,
    http: { port: 0 },
    election: { heartbeatMs: 200 },
  });
  await eventually('the orchestrator to lead', () => orchestrator.isLeader, Boolean, 30_000);
  const example = parseDagDefinition(
    readFileSync(join(REPO, 'orchestrator', 'examples', 'hpc-job.yaml'), 'utf8'),
  );
  hpcType = `${cluster.namespace}-hpc-job`;
  await api(`/api/dags/${hpcType}`, { ...example, type: hpcType }, 'PUT');
});

afterAll(async () => {
  await orchestrator?.close();
  await cluster?.cleanUp();
  await db.drop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('end to end: the hpc-job example against sshd and SLURM', () => {
  it('stages a generated input in, runs the SLURM job on it and brings the result back with its checksum', async () => {
    const inputFile = join(scratch, 'input.txt');
    writeFileSync(inputFile, 'first line of the experiment\nsecond line\n');
    const resultsDir = join(scratch, 'results');
    const { id } = await api('/api/experiments', {
      type: hpcType,
      inputs: { resource: 'cluster', inputFile, resultsDir },
      priority: 5,
    });
    const done = await experimentEnded(String(id));

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
  });
});

import type { Pool } from 'mysql2/promise';
import { loadConfig } from '@wlm/commons/config';
import { runApiShape } from '../../api-path';
import type { ApiPathOptions } from '../../api-path';
import { BenchCluster } from '../../bench-cluster';
import { BenchNamespace } from '../../bench-namespace';
import { QUICK_COUNTS, benchShapes } from '../../shapes';

/*
 * The bench's whole path through the API: a real orchestrator, scheduler and worker on a namespace of
 * the bench's own, experiments created one by one by concurrent clients and in one batch call, and
 * the figures read back from the orchestrator's database.
 */

jest.setTimeout(180_000);

const TOKEN = 'wlm-bench-test-token-0123456789';
const config = loadConfig();
let cluster: BenchCluster | undefined;
let space: BenchNamespace | undefined;
let db: Pool | undefined;

afterAll(async () => {
  await db?.end();
  await cluster?.stop();
  await space?.clear();
});

it('runs chains created one by one and in a batch, and reports their tasks, overhead by hop and progress', async () => {
  cluster = await BenchCluster.start({ url: config.rabbitmq.url, workers: 1, slots: 4 });
  space = new BenchNamespace(cluster.namespace, config);
  const apiUrl = await cluster.startOrchestrator(space.mysqlUrl, TOKEN);
  db = space.pool();
  const chains = { ...benchShapes(QUICK_COUNTS)[0]!, experiments: 3 };
  const progress: string[] = [];
  const options: ApiPathOptions = {
    apiUrl,
    token: TOKEN,
    db,
    typePrefix: space.typePrefix,
    clients: 2,
    batch: false,
    timeoutMs: 120_000,
    onProgress: (message) => progress.push(message),
    signal: new AbortController().signal,
  };

  const oneByOne = await runApiShape(chains, options);
  const batched = await runApiShape(chains, { ...options, batch: true });

  for (const run of [oneByOne, batched]) {
    expect(run).toMatchObject({ experiments: 3, tasks: 12, completedTasks: 12, timedOut: false });
    expect(run.tasksPerSecond).toBeGreaterThan(0);
    // Three dependents in each chain of four: one overhead each, split at the two hand-overs.
    expect(run.overheadMs.samples).toBe(9);
    expect(run.overheadByHopMs.orchestrator.samples).toBe(9);
    expect(run.overheadByHopMs.scheduler.samples).toBe(9);
    expect(run.overheadByHopMs.worker.samples).toBe(9);
  }
  expect(oneByOne.shape).toBe('chain4');
  expect(oneByOne.creation).toMatchObject({ mode: 'one by one', clients: 2, created: 3 });
  expect(batched.shape).toBe('chain4-batch');
  expect(batched.creation).toMatchObject({ mode: 'batch', clients: 1, created: 3 });
  expect(progress.filter((line) => line.startsWith('api chain4: 3 experiments created'))).toHaveLength(2);
});

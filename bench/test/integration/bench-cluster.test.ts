import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import { runMockOrchestrator } from '@wlm/scripts';
import { queuesNamed } from '@wlm/test-support';
import { BenchCluster } from '../../bench-cluster';
import { BENCH_TASK_TYPE } from '../../shapes';

/*
 * The bench's cluster (the built `wlm scheduler` and `wlm worker`s on a namespace of its own) runs
 * tasks and, once stopped, leaves none of that namespace's queues on the shared broker: every run of
 * the bench would otherwise leave some behind.
 */

jest.setTimeout(120_000);

let cluster: BenchCluster | undefined;

afterAll(async () => {
  await cluster?.stop();
});

it('runs tasks, and its stop deletes every queue of its namespace', async () => {
  const url = loadConfig().rabbitmq.url;
  cluster = await BenchCluster.start({ url, workers: 1, slots: 2 });
  const summary = await runMockOrchestrator({
    url,
    logger: createLogger({ component: 'bench-cluster-test', level: 'warn', pretty: false }),
    namespace: cluster.namespace,
    dags: 2,
    shape: 'fanout',
    tasksPerDag: 3,
    seed: 1,
    sleepMs: 0,
    failTimes: 0,
    priority: 5,
    priorityMix: false,
    timeoutMs: 60_000,
  });
  expect(summary.outcome).toBe('completed');
  const prefix = `${cluster.namespace}.`;
  // The run declared the task type's request queue beside the core and the worker's own.
  expect(await queuesNamed(prefix)).toContain(cluster.topology.requestQueue(BENCH_TASK_TYPE));

  await cluster.stop();
  expect(await queuesNamed(prefix)).toEqual([]);
});

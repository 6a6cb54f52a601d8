import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import type { AttemptIdentity } from '@wlm/commons/wire';
import { runMockOrchestrator } from '../../src';
import type { RunSummary } from '../../src';
import { attemptKey } from '../support/e2e-broker';
import { E2eCluster } from '../support/e2e-cluster';
import { ensureBuilt } from '../../../workers/test/support/ensure-built';

/*
 * The mock orchestrator against real `wlm scheduler` and `wlm worker` processes: two schedulers
 * competing for the same requests, each with its own Serf agent, place every attempt exactly once;
 * and `wlm mock-orchestrator --json` reports a complete run.
 */

jest.setTimeout(90_000);

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

let cluster: E2eCluster;

beforeAll(async () => {
  ensureBuilt(['scripts']);
  cluster = await E2eCluster.start();
  await Promise.all([cluster.startScheduler(), cluster.startScheduler({ ownAgent: true })]);
  await Promise.all([
    cluster.startWorker({ name: 'w1', tasks: 'echo', slots: 4 }),
    cluster.startWorker({ name: 'w2', tasks: 'echo', slots: 4 }),
  ]);
});

afterAll(async () => {
  await cluster?.cleanUp();
});

describe('end to end: the mock orchestrator against real services', () => {
  it('completes 100 tasks through two schedulers, each attempt placed and run exactly once', async () => {
    expect.hasAssertions();
    // Both instances consume the requests, so both place part of the run.
    expect(await cluster.broker.consumers(cluster.topology.queues.schedulerRequests)).toBe(2);
    const summary = await runMockOrchestrator({
      url: loadConfig().rabbitmq.url,
      logger: createLogger({ component: 'e2e-test', level: 'silent', pretty: false }),
      namespace: cluster.namespace,
      runId: 'two-schedulers',
      dags: 10,
      shape: 'fanout',
      tasksPerDag: 10,
      seed: 1,
      sleepMs: 0,
      failTimes: 0,
      priority: 5,
      priorityMix: true,
      timeoutMs: 60_000,
    });
    expect(summary).toMatchObject({
      outcome: 'completed',
      tasks: 100,
      completed: 100,
      failed: 0,
      retried: 0,
      dagsCompleted: 10,
    });

    const ofRun = (items: readonly AttemptIdentity[]): string[] =>
      items.filter((item) => item.experimentId.startsWith('mock.two-schedulers.')).map(attemptKey);
    const { broker } = cluster;
    const reported = {
      queued: ofRun(broker.eventsOf('QUEUED')),
      started: ofRun(broker.starts()),
      completed: ofRun(broker.eventsOf('COMPLETED')),
    };
    for (const [what, keys] of Object.entries(reported)) {
      // 100 distinct attempts, none twice: neither instance placed what the other had placed.
      expect({ what, events: keys.length, attempts: new Set(keys).size }).toEqual({
        what,
        events: 100,
        attempts: 100,
      });
    }
    for (const key of reported.started) expect(key.endsWith('/1')).toBe(true);
    // Idle workers and a request held for more than 10 s: an instance's free-slot book stuck on
    // placements whose events its sibling consumed (the reservation-ledger bug this test found).
    const stuck = cluster.schedulers.flatMap((scheduler) =>
      scheduler
        .logged('requests waiting for capacity')
        .filter((record) => Number(record['oldestWaitMs']) > 10_000),
    );
    expect(stuck).toEqual([]);
  });

  it('prints a complete run as the last stdout line of `wlm mock-orchestrator --json`', async () => {
    expect.hasAssertions();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        CLI,
        'mock-orchestrator',
        ...['--namespace', cluster.namespace, '--dags', '5', '--shape', 'random', '--tasks-per-dag', '6'],
        ...['--timeout-s', '60', '--json'],
      ],
      { timeout: 75_000 },
    );
    const lines = stdout.trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1] ?? '') as RunSummary;
    expect(summary).toMatchObject({ outcome: 'completed', ok: true, tasks: 30, failed: 0, dagsFailed: 0 });
    expect(summary.completed).toBe(summary.tasks);
    expect(summary.latency.publishToRunning.overall.count).toBe(30);
  });
});

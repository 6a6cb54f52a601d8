import type { Orchestrator } from '@wlm/orchestrator';
import { OrchestratorEnv } from './support/orchestrator-env';
import { echoChain } from './support/leading-orchestrator';
import { TcpProxy } from './support/tcp-proxy';

/*
 * The leader reaches MySQL through a proxy that goes silent: its connections stay open and nothing
 * answers, so no connection error tells it anything — only its lease. A standby with a working
 * MySQL must take over and finish the experiment, and the event the leader had taken must not be
 * lost with it, even though the leader's handler of that event hangs on MySQL for longer than the
 * test runs.
 */
const env = new OrchestratorEnv('silent');
const proxy = TcpProxy.inFrontOf(env.config.mysql.url, 3306);
const LEASE_SECONDS = 3;
const leader = { leaseSeconds: LEASE_SECONDS, handoverTimeoutMs: 500, eventBatchesInFlight: 3 };
const chain = env.type('chain');
let first: Orchestrator;
let second: Orchestrator;

beforeAll(async () => {
  await proxy.up();
  first = await env.start({
    instanceId: 'silenced',
    config: {
      ...env.config,
      // Longer than the test: only the bounded hand-over can give the event back.
      mysql: { ...env.config.mysql, url: proxy.rewrite(env.db.url), timeoutMs: 600_000 },
      leader,
    },
  });
  await env.leading(first);
  second = await env.start({ instanceId: 'heir', config: { ...env.config, leader } });
  env.use(second.url);
  await env.putDag(echoChain(chain, ['a', 'b', 'c']));
});

afterAll(async () => {
  // Cutting the silent connections lets the first orchestrator's hung calls fail, so it can close.
  await proxy.down();
  await env.cleanup();
});

beforeEach(() => {
  expect.hasAssertions();
});

it('a leader whose MySQL goes silent gives up within its lease; a standby finishes the work', async () => {
  expect(second.isLeader).toBe(false);
  env.cluster.behave((request) => (request.taskId === 'b' ? { kind: 'hold' } : { kind: 'complete' }));
  const id = await env.submit(chain);
  await env.cluster.waitFor('b dispatched', () => env.cluster.requestsOf(id).some((r) => r.taskId === 'b'));
  const deposed = new Promise<{ reason: string }>((resolve) => first.once('deposed', resolve));
  const heir = new Promise<void>((resolve) => second.once('elected', () => resolve()));

  proxy.silence();
  // b completes now: the silenced leader takes the event and hangs on MySQL handling it.
  await env.cluster.release(id, 'b');
  expect((await deposed).reason).toBe('heartbeat-timeout');
  expect(first.isLeader).toBe(false);
  await heir;

  const done = await env.waitForState(id, 'COMPLETED', 60_000);
  expect(done.tasks.map((task) => [task.taskId, task.state])).toEqual([
    ['a', 'COMPLETED'],
    ['b', 'COMPLETED'],
    ['c', 'COMPLETED'],
  ]);
  // Each task ran once: nothing was lost, and the hand-over duplicated no work.
  expect(env.cluster.ran.filter((key) => key.startsWith(`${id}/`))).toEqual([
    `${id}/a/1`,
    `${id}/b/1`,
    `${id}/c/1`,
  ]);
});

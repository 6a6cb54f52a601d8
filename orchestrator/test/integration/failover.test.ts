import { OrchestratorEnv } from './support/orchestrator-env';
import { OrchestratorProcess } from './support/orchestrator-process';

/** DESIGN: a standby takes over within 5 s of the leader's death. */
const TAKEOVER_MS = 5000;

const env = new OrchestratorEnv('failover');
const processes: OrchestratorProcess[] = [];

beforeAll(async () => {
  await env.startCluster();
});

afterEach(async () => {
  const alive = processes.splice(0).filter((child) => child.alive);
  for (const child of alive) child.kill();
  await Promise.all(alive.map((child) => child.exit()));
});

afterAll(async () => {
  await env.cleanup();
});

beforeEach(() => {
  expect.hasAssertions();
});

it('a standby carries on within 5 s when the leader is SIGKILLed mid-experiment', async () => {
  const first = OrchestratorProcess.start(env, 'first');
  processes.push(first);
  env.use(await first.listening());
  await env.until('the first to lead', () => first.isLeader());
  const second = OrchestratorProcess.start(env, 'second');
  processes.push(second);
  const standbyUrl = await second.listening();
  expect(await second.isLeader()).toBe(false);

  const type = env.type('steps');
  const steps = Array.from({ length: 8 }, (_, i) => ({
    id: `s${i}`,
    type: 'echo',
    ...(i === 0 ? {} : { after: [`s${i - 1}`] }),
  }));
  await env.putDag({ type, tasks: steps });
  env.cluster.behave(() => ({ kind: 'complete', delayMs: 150 }));
  const id = await env.submit(type);
  await env.cluster.waitFor('a few steps', () => env.cluster.requestsOf(id).length >= 3);

  first.kill();
  const killedAt = Date.now();
  await env.until('the standby to lead', () => second.isLeader(), TAKEOVER_MS);
  expect(Date.now() - killedAt).toBeLessThan(TAKEOVER_MS);

  env.use(standbyUrl);
  const done = await env.waitForState(id, 'COMPLETED');
  expect(done.tasks.every((task) => task.isExecuted)).toBe(true);
  const runs = env.cluster.ran.filter((key) => key.startsWith(`${id}/`)).map((key) => key.split('/')[1]);
  expect(runs).toEqual(steps.map((step) => step.id));
  // The standby also serves the API: it answers for experiments it did not create.
  expect((await env.request(`/api/experiments/${id}`)).status).toBe(200);
});

it('a SIGTERMed leader drains and exits cleanly, handing over at once', async () => {
  const first = OrchestratorProcess.start(env, 'draining');
  processes.push(first);
  env.use(await first.listening());
  await env.until('the draining one to lead', () => first.isLeader(), 30_000);
  const second = OrchestratorProcess.start(env, 'heir');
  processes.push(second);
  await second.listening();

  first.kill('SIGTERM');
  const stoppedAt = Date.now();
  expect(await first.exit()).toBe(0);
  expect(first.log.some((line) => line.includes('resigned the leadership'))).toBe(true);
  await env.until('the heir to lead', () => second.isLeader(), TAKEOVER_MS);
  expect(Date.now() - stoppedAt).toBeLessThan(TAKEOVER_MS + 5000);
});

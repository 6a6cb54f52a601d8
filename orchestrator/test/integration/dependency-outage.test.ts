import type { Orchestrator } from '@wlm/orchestrator';
import { OrchestratorEnv } from './support/orchestrator-env';
import { echoChain } from './support/leading-orchestrator';
import { TcpProxy } from './support/tcp-proxy';

/*
 * The orchestrator reaches MySQL, Neo4j and RabbitMQ through proxies this file controls, so each can
 * "go down" for it alone. /readyz must say which one is down; work in progress must survive.
 */
const env = new OrchestratorEnv('outage');
const mysql = TcpProxy.inFrontOf(env.config.mysql.url, 3306);
const neo4j = TcpProxy.inFrontOf(env.config.neo4j.url, 7687);
const rabbitmq = TcpProxy.inFrontOf(env.config.rabbitmq.url, 5672);
let orchestrator: Orchestrator;
const chain = env.type('chain');

beforeAll(async () => {
  await Promise.all([mysql.up(), neo4j.up(), rabbitmq.up()]);
  orchestrator = await env.start({
    config: {
      ...env.config,
      mysql: { ...env.config.mysql, url: mysql.rewrite(env.config.mysql.url) },
      neo4j: { ...env.config.neo4j, url: neo4j.rewrite(env.config.neo4j.url) },
      rabbitmq: { ...env.config.rabbitmq, url: rabbitmq.rewrite(env.config.rabbitmq.url) },
    },
  });
  await env.leading(orchestrator);
  await env.putDag(echoChain(chain, ['a', 'b', 'c']));
});

afterAll(async () => {
  await Promise.all([mysql.up(), neo4j.up(), rabbitmq.up()].map((p) => p.catch(() => undefined)));
  await env.cleanup();
  await Promise.all([mysql.down(), neo4j.down(), rabbitmq.down()]);
});

beforeEach(() => {
  expect.hasAssertions();
  env.cluster.behave(() => ({ kind: 'complete' }));
});

async function health(): Promise<{ status: number; down: unknown }> {
  const response = await env.request('/readyz', { token: null });
  return { status: response.status, down: response.body['down'] };
}

describe.each([
  ['neo4j', neo4j],
  ['mysql', mysql],
  ['rabbitmq', rabbitmq],
] as const)('with %s unreachable', (name, proxy) => {
  it('answers 503 naming it, and 200 again once it is back', async () => {
    expect(await health()).toEqual({ status: 200, down: [] });
    await proxy.down();
    try {
      await env.until(`/readyz to report ${name}`, async () => {
        const report = await health();
        return report.status === 503 && Array.isArray(report.down) && report.down.includes(name);
      });
      expect((await health()).down).toEqual([name]);
    } finally {
      await proxy.up();
    }
    await env.until('/readyz to recover', async () => (await health()).status === 200, 60_000);
    expect((await health()).down).toEqual([]);
  });
});

it('finishes an experiment whose events arrive while MySQL is down: nothing is lost', async () => {
  env.cluster.behave((request) => (request.taskId === 'b' ? { kind: 'hold' } : { kind: 'complete' }));
  const id = await env.submit(chain);
  await env.cluster.waitFor('b dispatched', () => env.cluster.requestsOf(id).some((r) => r.taskId === 'b'));
  await mysql.down();
  // b completes during the outage: its events wait in the queue or in retries, none is dropped.
  await env.cluster.release(id, 'b');
  // MySQL comes back only once the orchestrator has seen it gone, so the events meet the outage.
  await env.until('/readyz to report mysql', async () => {
    const report = await health();
    return Array.isArray(report.down) && report.down.includes('mysql');
  });
  await mysql.up();
  const done = await env.waitForState(id, 'COMPLETED', 90_000);
  expect(done.tasks.map((task) => task.state)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
  expect(env.cluster.ran.filter((key) => key.startsWith(`${id}/`))).toHaveLength(3);
});

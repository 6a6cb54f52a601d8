import { isRetryableError } from '@wlm/commons/errors';
import { MysqlStateStore, Neo4jDagStore, StoreTimeoutError } from '@wlm/orchestrator';
import { OrchestratorEnv } from './support/orchestrator-env';
import { newExperiment } from './support/store-fixtures';
import { TcpProxy } from './support/tcp-proxy';

/*
 * Each store reaches its server through a proxy that can go silent: connections stay open, nothing
 * answers — a hung server or a network partition, which a lost connection would not reproduce. A call
 * must then fail within its time limit with a retryable error, and the store must work again once
 * the server answers.
 */
const env = new OrchestratorEnv('timeouts');
const mysql = TcpProxy.inFrontOf(env.config.mysql.url, 3306);
const neo4j = TcpProxy.inFrontOf(env.config.neo4j.url, 7687);
const TIMEOUT_MS = 1000;

beforeAll(async () => {
  await Promise.all([mysql.up(), neo4j.up()]);
});

afterAll(async () => {
  await Promise.all([mysql.down(), neo4j.down()]);
  await env.cleanup();
});

beforeEach(() => {
  expect.hasAssertions();
});

/** Whatever `call` rejects with (it must reject). */
async function failure(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

/**
 * Runs `call` until it succeeds: right after an outage a call may still fail retryably (a driver
 * finding its pooled connections dead backs off before reconnecting), never otherwise.
 */
async function eventually<T>(what: string, call: () => Promise<T>): Promise<T> {
  let result: { value: T } | undefined;
  await env.until(what, async () => {
    try {
      result = { value: await call() };
      return true;
    } catch (error) {
      if (!isRetryableError(error)) throw error;
      return false;
    }
  });
  if (result === undefined) throw new Error('unreachable');
  return result.value;
}

/** Cuts every connection through `proxy` and lets new ones through again. */
async function restore(proxy: TcpProxy): Promise<void> {
  await proxy.down();
  await proxy.up();
}

it('fails a MySQL read or transaction on a silent server with a retryable STORE_TIMEOUT', async () => {
  const store = await MysqlStateStore.open({
    url: mysql.rewrite(env.db.url),
    logger: env.logger,
    timeoutMs: TIMEOUT_MS,
  });
  try {
    const { experiment } = await store.createExperiment(newExperiment());
    mysql.silence();
    try {
      const read = await failure(store.getExperiment(experiment.id));
      expect(read).toBeInstanceOf(StoreTimeoutError);
      expect(read).toMatchObject({
        code: 'STORE_TIMEOUT',
        retryable: true,
        store: 'mysql',
        operation: 'getExperiment',
        timeoutMs: TIMEOUT_MS,
      });
      expect(isRetryableError(read)).toBe(true);
      const write = await failure(
        store.transitionExperiment(experiment.id, ['PENDING'], 'RUNNING', { actor: 'engine' }),
      );
      expect(write).toMatchObject({ code: 'STORE_TIMEOUT', operation: 'transitionExperiment' });
    } finally {
      await restore(mysql);
    }
    // The connections the timeouts abandoned were dropped, not handed out again.
    await eventually('MySQL to answer again', () =>
      store.transitionExperiment(experiment.id, ['PENDING'], 'RUNNING', { actor: 'engine' }),
    );
    expect((await store.getExperiment(experiment.id))?.state).toBe('RUNNING');
  } finally {
    await store.close();
  }
});

it('fails a Neo4j read or write on a silent server with a retryable STORE_TIMEOUT', async () => {
  const dags = await Neo4jDagStore.open({
    ...env.config.neo4j,
    url: neo4j.rewrite(env.config.neo4j.url),
    logger: env.logger,
    timeoutMs: TIMEOUT_MS,
  });
  const type = env.type('silent');
  try {
    await dags.listMasterDags();
    neo4j.silence();
    try {
      const read = await failure(dags.getMasterDag(type));
      expect(read).toBeInstanceOf(StoreTimeoutError);
      expect(read).toMatchObject({
        code: 'STORE_TIMEOUT',
        retryable: true,
        store: 'neo4j',
        operation: 'getMasterDag',
      });
      const write = await failure(dags.putMasterDag({ type, tasks: [{ id: 'a', type: 'echo' }] }));
      expect(write).toMatchObject({ code: 'STORE_TIMEOUT', retryable: true, operation: 'putMasterDag' });
    } finally {
      await restore(neo4j);
    }
    const put = await eventually('Neo4j to answer again', () =>
      dags.putMasterDag({ type, tasks: [{ id: 'a', type: 'echo' }] }),
    );
    expect((await dags.getMasterDag(type, put.version))?.version).toBe(put.version);
  } finally {
    await dags.close();
  }
});

import { MysqlStateStore } from '@wlm/orchestrator';
import { OrchestratorEnv } from './support/orchestrator-env';
import { greetingChain, useLeadingOrchestrator } from './support/leading-orchestrator';

const env = new OrchestratorEnv('batch');
const chain = env.type('chain');

useLeadingOrchestrator(env, { dags: [greetingChain(chain)] });

type Item = { index: number; status: number; experiment?: { id: string }; error?: Record<string, unknown> };
type Answer = { created: number; existing: number; failed: number; items: Item[] };

async function batch(items: unknown[]): Promise<{ status: number; body: Answer }> {
  const response = await env.request('/api/experiments/batch', { body: { items } });
  return { status: response.status, body: response.body as unknown as Answer };
}

const item = (key: string, extra: Record<string, unknown> = {}) => ({
  type: chain,
  inputs: { greeting: key },
  idempotencyKey: key,
  ...extra,
});

describe('POST /api/experiments/batch', () => {
  it('creates every item, answers for each in order, and the experiments run to the end', async () => {
    const items = Array.from({ length: 40 }, (_, i) => item(`run-${i}`));
    const { status, body } = await batch(items);
    expect(status).toBe(200);
    expect(body).toMatchObject({ created: 40, existing: 0, failed: 0 });
    expect(body.items.map((answer) => [answer.index, answer.status])).toEqual(items.map((_, i) => [i, 201]));
    const ids = body.items.map((answer) => answer.experiment?.id ?? '');
    expect(new Set(ids).size).toBe(40);
    expect(await env.db.count('experiments', 'idempotency_key LIKE ?', ['run-%'])).toBe(40);
    for (const id of ids.slice(0, 5)) await env.waitForState(id, 'COMPLETED');
    const view = await env.experiment(ids[3] ?? '');
    expect(view.inputs).toEqual({ greeting: 'run-3' });
  });

  it('honours idempotency keys: the same batch again creates nothing and answers the same experiments', async () => {
    const items = Array.from({ length: 10 }, (_, i) => item(`again-${i}`));
    const first = await batch(items);
    const second = await batch(items);
    expect(second.body).toMatchObject({ created: 0, existing: 10, failed: 0 });
    expect(second.body.items.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(second.body.items.map((answer) => answer.experiment?.id)).toEqual(
      first.body.items.map((answer) => answer.experiment?.id),
    );
    expect(await env.db.count('experiments', 'idempotency_key LIKE ?', ['again-%'])).toBe(10);
  });

  it('answers a bad item with its index and still creates the others', async () => {
    await batch([item('conflict-0')]);
    const { status, body } = await batch([
      item('mixed-0'),
      item('mixed-1', { priority: 12 }),
      { type: `${chain}-nope`, inputs: {} },
      item('mixed-3', { colour: 'red' }),
      item('conflict-0', { priority: 2 }),
      item('mixed-5'),
    ]);
    expect(status).toBe(200);
    expect(body).toMatchObject({ created: 2, existing: 0, failed: 4 });
    const byIndex = body.items.map(({ index, status: itemStatus, error }) => ({
      index,
      status: itemStatus,
      code: error?.['code'],
      field: error?.['field'],
    }));
    expect(byIndex).toEqual([
      { index: 0, status: 201, code: undefined, field: undefined },
      { index: 1, status: 400, code: 'BAD_REQUEST', field: 'items[1].priority' },
      { index: 2, status: 404, code: 'DAG_NOT_FOUND', field: undefined },
      { index: 3, status: 400, code: 'BAD_REQUEST', field: 'items[3]' },
      { index: 4, status: 409, code: 'EXPERIMENT_CONFLICT', field: undefined },
      { index: 5, status: 201, code: undefined, field: undefined },
    ]);
    expect(body.items[1]?.error?.['message']).toBe('items[1].priority: must be 0–9');
    expect(await env.db.count('experiments', 'idempotency_key LIKE ?', ['mixed-%'])).toBe(2);
  });

  it('refuses an empty batch, one over 1,000 items and one without items, creating nothing', async () => {
    const before = await env.db.count('experiments');
    const empty = await env.request('/api/experiments/batch', { body: { items: [] } });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ error: { code: 'BAD_REQUEST', field: 'body.items' } });
    const tooMany = await env.request('/api/experiments/batch', {
      body: { items: Array.from({ length: 1001 }, (_, i) => item(`over-${i}`)) },
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({
      error: { field: 'body.items', message: 'body.items: must hold at most 1000 experiments' },
    });
    const missing = await env.request('/api/experiments/batch', { body: { type: chain } });
    expect(missing.status).toBe(400);
    expect(await env.db.count('experiments')).toBe(before);
  });

  it('needs a token like every route', async () => {
    const response = await env.request('/api/experiments/batch', {
      body: { items: [item('x')] },
      token: null,
    });
    expect(response.status).toBe(401);
  });
});

describe('POST /api/experiments/batch in bulk', () => {
  it('creates hundreds in one call, and each runs once to the end', async () => {
    const items = Array.from({ length: 300 }, (_, i) => item(`bulk-${i}`));
    const { body } = await batch(items);
    expect(body).toMatchObject({ created: 300, existing: 0, failed: 0 });
    const ids = body.items.map((answer) => answer.experiment?.id ?? '');
    await env.until(
      'the 300 experiments to complete',
      async () =>
        (await env.db.count('experiments', "idempotency_key LIKE 'bulk-%' AND state = 'COMPLETED'")) === 300,
      60_000,
    );
    const ran = env.cluster.ran.filter((key) => ids.some((id) => key.startsWith(`${id}/`)));
    expect(ran.sort()).toEqual(ids.flatMap((id) => [`${id}/a/1`, `${id}/b/1`]).sort());
  });

  it('treats a key repeated within one batch as one experiment, or a conflict when it differs', async () => {
    const { body } = await batch([item('twice-0'), item('twice-0'), item('twice-0', { priority: 3 })]);
    expect(body.items.map((answer) => answer.status)).toEqual([201, 200, 409]);
    expect(body.items[1]?.experiment?.id).toBe(body.items[0]?.experiment?.id);
    expect(await env.db.count('experiments', "idempotency_key = 'twice-0'")).toBe(1);
    await env.waitForState(body.items[0]?.experiment?.id ?? '', 'COMPLETED');
  });

  it('starts, when the batch is sent again, experiments a first submission left PENDING', async () => {
    const store = await MysqlStateStore.open({ url: env.db.url, logger: env.logger });
    try {
      // What a submission that died after its MySQL transaction leaves behind.
      const left = await store.createExperiments(
        Array.from({ length: 5 }, (_, i) => ({
          type: chain,
          dagVersion: 1,
          priority: 5,
          inputs: { greeting: `left-${i}` },
          idempotencyKey: `left-${i}`,
          actor: 'api:test',
        })),
      );
      const leftIds = left.map((outcome) => (outcome.ok ? outcome.result.experiment.id : ''));
      const { body } = await batch(Array.from({ length: 5 }, (_, i) => item(`left-${i}`)));
      expect(body).toMatchObject({ created: 0, existing: 5, failed: 0 });
      expect(body.items.map((answer) => answer.experiment?.id)).toEqual(leftIds);
      for (const id of leftIds) await env.waitForState(id, 'COMPLETED');
    } finally {
      await store.close();
    }
  });
});

import { OrchestratorEnv } from './support/orchestrator-env';
import { greetingChain, useLeadingOrchestrator } from './support/leading-orchestrator';

/** `Prefer: respond-async`: answered once the experiment is stored, started afterwards. */
const env = new OrchestratorEnv('async');
const chain = env.type('chain');
const PREFER = { prefer: 'respond-async' };

useLeadingOrchestrator(env, { dags: [greetingChain(chain)] });

const submission = (key: string) => ({ type: chain, inputs: { greeting: key }, idempotencyKey: key });

describe('POST /api/experiments with Prefer: respond-async', () => {
  it('answers 202 with the experiment PENDING, says the preference was applied, and the experiment runs', async () => {
    const response = await env.request('/api/experiments', { body: submission('one'), headers: PREFER });
    expect(response.status).toBe(202);
    expect(response.headers.get('preference-applied')).toBe('respond-async');
    expect(response.body).toMatchObject({ state: 'PENDING' });
    const id = String(response.body['id']);
    expect(response.headers.get('location')).toBe(`/api/experiments/${id}`);
    await env.waitForState(id, 'COMPLETED');
  });

  it('answers a repeated key 200 with the same experiment, which starts once', async () => {
    const [first, second] = await Promise.all([
      env.request('/api/experiments', { body: submission('twice'), headers: PREFER }),
      env.request('/api/experiments', { body: submission('twice'), headers: PREFER }),
    ]);
    expect([first?.status, second?.status].sort()).toEqual([200, 202]);
    expect(first?.body['id']).toBe(second?.body['id']);
    const id = String(first?.body['id']);
    await env.waitForState(id, 'COMPLETED');
    // One start: the experiment's first task was dispatched once (one RUNNING transition audited).
    expect(
      await env.db.count(
        'audit_events',
        "experiment_id = ? AND type = 'experiment.transitioned' AND to_state = 'RUNNING'",
        [id],
      ),
    ).toBe(1);
  });

  it('without the preference, answers 201 once the experiment started, as before', async () => {
    const response = await env.request('/api/experiments', { body: submission('plain') });
    expect(response.status).toBe(201);
    expect(response.headers.get('preference-applied')).toBeNull();
    expect(response.body).toMatchObject({ state: 'RUNNING' });
  });
});

describe('POST /api/experiments/batch with Prefer: respond-async', () => {
  it('answers every new item 202 and every experiment runs to the end', async () => {
    const items = Array.from({ length: 30 }, (_, i) => submission(`batch-${i}`));
    const response = await env.request('/api/experiments/batch', { body: { items }, headers: PREFER });
    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('respond-async');
    const answer = response.body as {
      created: number;
      items: { status: number; experiment?: { id: string } }[];
    };
    expect(answer.created).toBe(30);
    expect(answer.items.map((item) => item.status)).toEqual(Array(30).fill(202));
    for (const item of answer.items) await env.waitForState(item.experiment?.id ?? '', 'COMPLETED');
  });
});

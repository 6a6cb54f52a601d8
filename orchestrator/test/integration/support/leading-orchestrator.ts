import type { OrchestratorOptions } from '@wlm/orchestrator';
import type { OrchestratorEnv } from './orchestrator-env';

/** A DAG definition as `PUT /api/dags/:type` takes it. */
export type DagBody = { type: string } & Record<string, unknown>;

export interface LeadingOrchestratorOptions {
  /** What the orchestrator is started with beyond the env's defaults. */
  readonly start?: Partial<OrchestratorOptions>;
  /** Stored once the orchestrator leads, in this order. */
  readonly dags?: readonly DagBody[];
  /** Before each test, the fake workers complete every task they get (a test may still override it). */
  readonly completeTasks?: boolean;
}

/**
 * The hooks most API test files share: before all, one orchestrator started on `env` and leading,
 * with `dags` stored; before each, `expect.hasAssertions()`; after all, `env` cleaned up.
 *
 * @example
 * const env = new OrchestratorEnv('api');
 * const chain = env.type('chain');
 * useLeadingOrchestrator(env, { dags: [echoChain(chain)], completeTasks: true });
 */
export function useLeadingOrchestrator(env: OrchestratorEnv, options: LeadingOrchestratorOptions = {}): void {
  beforeAll(async () => {
    const orchestrator = await env.start(options.start);
    await env.leading(orchestrator);
    for (const dag of options.dags ?? []) await env.putDag(dag);
  });

  afterAll(async () => {
    await env.cleanup();
  });

  beforeEach(() => {
    expect.hasAssertions();
    if (options.completeTasks === true) env.cluster.behave(() => ({ kind: 'complete' }));
  });
}

/** A DAG of echo tasks run one after the other, named by `ids`: `a → b` by default. */
export function echoChain(type: string, ids: readonly string[] = ['a', 'b']): DagBody {
  return {
    type,
    tasks: ids.map((id, i) => {
      const previous = ids[i - 1];
      return previous === undefined ? { id, type: 'echo' } : { id, type: 'echo', after: [previous] };
    }),
  };
}

/** `a → b` of echo tasks whose `a` greets with the experiment's `greeting` input. */
export function greetingChain(type: string): DagBody {
  return {
    type,
    tasks: [
      { id: 'a', type: 'echo', params: { greeting: '{{ inputs.greeting }}' } },
      { id: 'b', type: 'echo', after: ['a'] },
    ],
  };
}

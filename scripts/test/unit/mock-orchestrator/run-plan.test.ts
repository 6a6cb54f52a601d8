import { taskRequestSchema } from '@wlm/commons/wire';
import type { TaskDispatch } from '../../../src/mock-orchestrator/dag-driver';
import { PRIORITY_MIX, planRun } from '../../../src/mock-orchestrator/run-plan';
import type { RunPlanOptions } from '../../../src/mock-orchestrator/run-plan';
import { requestMessageId, toTaskRequest } from '../../../src/mock-orchestrator/task-request';

const base: RunPlanOptions = {
  runId: '42-abc',
  dags: 12,
  shape: 'chain',
  tasksPerDag: 3,
  seed: 1,
  sleepMs: 0,
  failTimes: 0,
  priority: 5,
  priorityMix: false,
};

describe('planRun', () => {
  it('plans one experiment per DAG with unique ids that name the run', () => {
    const plans = planRun(base);
    expect(plans).toHaveLength(12);
    expect(new Set(plans.map((p) => p.experimentId)).size).toBe(12);
    expect(plans[0]?.experimentId).toBe('mock.42-abc.00');
    expect(plans[11]?.experimentId).toBe('mock.42-abc.11');
    expect(plans.every((p) => p.priority === 5 && p.graph.taskIds.length === 3)).toBe(true);
  });

  it('spreads DAGs evenly over the priority mix', () => {
    const plans = planRun({ ...base, priorityMix: true });
    for (const priority of PRIORITY_MIX) {
      expect(plans.filter((p) => p.priority === priority)).toHaveLength(12 / PRIORITY_MIX.length);
    }
  });

  it('gives random DAGs shapes of their own, reproducibly', () => {
    const shapes = (seed: number) =>
      planRun({ ...base, shape: 'random', tasksPerDag: 20, seed }).map((p) =>
        p.graph.taskIds.map((id) => p.graph.dependenciesOf(id).join('+')).join(','),
      );
    expect(new Set(shapes(5)).size).toBeGreaterThan(1);
    expect(shapes(5)).toEqual(shapes(5));
  });

  it('asks for a retry policy that outlasts the injected failures', () => {
    const [plan] = planRun({ ...base, failTimes: 2, sleepMs: 10 });
    expect(plan?.graph.task('t0').retry).toEqual({ maxAttempts: 3, backoffMs: 100 });
    expect(plan?.graph.task('t0').params).toEqual({ sleepMs: 10, failTimes: 2, message: 't0' });
    const [noRetry] = planRun(base);
    expect(noRetry?.graph.task('t0').retry).toBeUndefined();
    const [exhausting] = planRun({ ...base, failTimes: 2, maxAttempts: 2 });
    expect(exhausting?.graph.task('t0').retry?.maxAttempts).toBe(2);
  });
});

describe('toTaskRequest', () => {
  it('builds a valid first-attempt TaskRequest carrying the params as context', () => {
    const [plan] = planRun({ ...base, failTimes: 1 });
    if (plan === undefined) throw new Error('no plan');
    const dispatch: TaskDispatch = {
      experimentId: plan.experimentId,
      taskId: 't1',
      priority: 7,
      task: plan.graph.task('t1'),
    };
    const request = taskRequestSchema.parse(toTaskRequest(dispatch, new Date('2026-01-02T03:04:05.006Z')));
    expect(request).toMatchObject({
      v: 1,
      experimentId: 'mock.42-abc.00',
      run: 1,
      taskId: 't1',
      attempt: 1,
      taskType: 'echo',
      priority: 7,
      context: { failTimes: 1, message: 't1' },
      retry: { maxAttempts: 2, backoffMs: 100 },
      requestedAt: '2026-01-02T03:04:05.006Z',
    });
    expect(requestMessageId(dispatch)).toBe('mock.42-abc.00/1/t1/1');
  });
});

import fc from 'fast-check';
import { DagGraph, rootTasks, validateDagDefinition } from '@wlm/commons/dag';
import type { DagDefinition } from '@wlm/commons/dag';
import { MAX_RANDOM_PARENTS, generateDag, taskIdOf } from '../../../src/mock-orchestrator/dag-generator';
import { sampleDistinct, seededRandom } from '../../../src/mock-orchestrator/seeded-random';

/** Tasks with no dependents: where a DAG ends. */
function sinks(dag: DagDefinition): string[] {
  const graph = DagGraph.from(dag);
  return graph.taskIds.filter((id) => graph.dependentsOf(id).length === 0);
}

function edges(dag: DagDefinition): string[] {
  return dag.tasks.flatMap((task) => (task.after ?? []).map((parent) => `${parent}->${task.id}`));
}

describe('generateDag', () => {
  it('builds a chain: one root, one sink, each task after the previous one', () => {
    const dag = generateDag({ shape: 'chain', tasks: 5 });
    expect(dag.tasks.map((t) => t.id)).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(edges(dag)).toEqual(['t0->t1', 't1->t2', 't2->t3', 't3->t4']);
    expect(rootTasks(dag)).toEqual(['t0']);
    expect(sinks(dag)).toEqual(['t4']);
  });

  it('builds a fan-out with a join: one root, n-2 parallel tasks, one task after all of them', () => {
    const dag = generateDag({ shape: 'fanout', tasks: 6 });
    const graph = DagGraph.from(dag);
    expect(dag.tasks).toHaveLength(6);
    expect(graph.dependentsOf('t0')).toEqual(['t1', 't2', 't3', 't4']);
    expect(graph.dependenciesOf('t5')).toEqual(['t1', 't2', 't3', 't4']);
    expect(rootTasks(dag)).toEqual(['t0']);
    expect(sinks(dag)).toEqual(['t5']);
  });

  it.each([
    [1, []],
    [2, ['t0->t1']],
    [3, ['t0->t1', 't1->t2']],
  ])('keeps a fan-out of %i tasks a valid DAG', (tasks, expected) => {
    expect(edges(generateDag({ shape: 'fanout', tasks }))).toEqual(expected);
  });

  it('gives every task echo, its own message and the shared params and retry policy', () => {
    const dag = generateDag({
      shape: 'chain',
      tasks: 2,
      params: { sleepMs: 25, failTimes: 1 },
      retry: { maxAttempts: 2, backoffMs: 100 },
    });
    expect(dag.tasks[1]).toEqual({
      id: 't1',
      type: 'echo',
      params: { sleepMs: 25, failTimes: 1, message: 't1' },
      after: ['t0'],
      retry: { maxAttempts: 2, backoffMs: 100 },
    });
    // What the real orchestrator accepts through `wlm dag put`.
    expect(() => validateDagDefinition(JSON.parse(JSON.stringify(dag)))).not.toThrow();
  });

  it('builds random DAGs of the requested size whose edges only point forward, with few parents', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 1, max: 60 }),
        (seed, tasks) => {
          const dag = generateDag({ shape: 'random', tasks, random: seededRandom(seed) });
          expect(dag.tasks).toHaveLength(tasks);
          // DagGraph.from throws on a cycle, an unknown or a duplicate id.
          expect(DagGraph.from(dag).topologicalOrder()).toHaveLength(tasks);
          dag.tasks.forEach((task, index) => {
            expect(task.id).toBe(taskIdOf(index));
            const parents = (task.after ?? []).map((id) => Number(id.slice(1)));
            expect(parents.length).toBeLessThanOrEqual(MAX_RANDOM_PARENTS);
            for (const parent of parents) expect(parent).toBeLessThan(index);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('builds the same random DAG from the same seed, and other DAGs from other seeds', () => {
    const build = (seed: number) =>
      edges(generateDag({ shape: 'random', tasks: 30, random: seededRandom(seed) }));
    expect(build(7)).toEqual(build(7));
    expect(build(7)).not.toEqual(build(8));
  });

  it('joins tasks in random DAGs, not only chains them', () => {
    const dag = generateDag({ shape: 'random', tasks: 200, random: seededRandom(1) });
    expect(dag.tasks.some((task) => (task.after ?? []).length > 1)).toBe(true);
  });

  it('refuses sizes it cannot build and a random shape without a seed', () => {
    expect(() => generateDag({ shape: 'chain', tasks: 0 })).toThrow(RangeError);
    expect(() => generateDag({ shape: 'chain', tasks: 1001 })).toThrow(RangeError);
    expect(() => generateDag({ shape: 'chain', tasks: 2.5 })).toThrow(RangeError);
    expect(() => generateDag({ shape: 'random', tasks: 3 })).toThrow(/random source/);
  });
});

describe('sampleDistinct', () => {
  it('returns distinct, sorted values below the bound, at most as many as exist', () => {
    const random = seededRandom(3);
    for (let bound = 0; bound < 10; bound += 1) {
      const picked = sampleDistinct(random, bound, 3);
      expect(picked).toHaveLength(Math.min(3, bound));
      expect(new Set(picked).size).toBe(picked.length);
      expect([...picked].sort((a, b) => a - b)).toEqual(picked);
      for (const value of picked) expect(value).toBeLessThan(bound);
    }
  });
});

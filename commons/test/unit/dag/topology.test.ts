import {
  DagGraph,
  downstreamOf,
  isComplete,
  readyDependentsOf,
  readyTasks,
  rootTasks,
  topologicalOrder,
  upstreamOf,
  validateDagDefinition,
} from '@wlm/commons/dag';
import { DagValidationError } from '@wlm/commons/errors';
import type { DagDefinition } from '@wlm/commons/dag';
import { diamond as diamondInput, problemsOf } from './dag-test-support';

const diamond = validateDagDefinition(diamondInput);

describe('topology helpers on the diamond (fan-out a -> b, c; fan-in b, c -> d)', () => {
  it('orders tasks topologically, ties in definition order', () => {
    expect(topologicalOrder(diamond)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('finds the roots', () => {
    expect(rootTasks(diamond)).toEqual(['a']);
  });

  it('advances: ready tasks follow what has executed and skip what is in flight', () => {
    expect(readyTasks(diamond, new Set())).toEqual(['a']);
    expect(readyTasks(diamond, new Set(), new Set(['a']))).toEqual([]);
    expect(readyTasks(diamond, new Set(['a']))).toEqual(['b', 'c']);
    expect(readyTasks(diamond, new Set(['a']), new Set(['b']))).toEqual(['c']);
    // Fan-in: d waits for both b and c.
    expect(readyTasks(diamond, new Set(['a', 'b']), new Set(['c']))).toEqual([]);
    expect(readyTasks(diamond, new Set(['a', 'b', 'c']))).toEqual(['d']);
    expect(readyTasks(diamond, new Set(['a', 'b', 'c', 'd']))).toEqual([]);
  });

  it('finds the dependents a completion made ready', () => {
    expect(readyDependentsOf(diamond, 'a', new Set(['a']))).toEqual(['b', 'c']);
    expect(readyDependentsOf(diamond, 'b', new Set(['a', 'b']))).toEqual([]);
    expect(readyDependentsOf(diamond, 'c', new Set(['a', 'b', 'c']))).toEqual(['d']);
    expect(readyDependentsOf(diamond, 'c', new Set(['a', 'b', 'c']), new Set(['d']))).toEqual([]);
  });

  it('finds everything downstream and upstream, in topological order', () => {
    expect(downstreamOf(diamond, 'a')).toEqual(['b', 'c', 'd']);
    expect(downstreamOf(diamond, 'b')).toEqual(['d']);
    expect(downstreamOf(diamond, 'd')).toEqual([]);
    expect(upstreamOf(diamond, 'd')).toEqual(['a', 'b', 'c']);
    expect(upstreamOf(diamond, 'a')).toEqual([]);
  });

  it('knows when the experiment is complete', () => {
    expect(isComplete(diamond, new Set(['a', 'b', 'c']))).toBe(false);
    expect(isComplete(diamond, new Set(['a', 'b', 'c', 'd']))).toBe(true);
  });

  it('gives the same answers from a DagGraph built once', () => {
    const graph = DagGraph.from(diamond);
    expect(DagGraph.from(graph)).toBe(graph);
    expect(topologicalOrder(graph)).toEqual(topologicalOrder(diamond));
    expect(readyTasks(graph, new Set(['a']))).toEqual(['b', 'c']);
    expect(graph.dependentsOf('a')).toEqual(['b', 'c']);
    expect(graph.dependenciesOf('d')).toEqual(['b', 'c']);
    expect(graph.task('c').type).toBe('echo');
    expect(graph.has('e')).toBe(false);
  });

  it('returns fresh arrays the caller may change', () => {
    const graph = DagGraph.from(diamond);
    topologicalOrder(graph).pop();
    expect(topologicalOrder(graph)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('throws a RangeError for a task id the DAG does not have', () => {
    expect(() => downstreamOf(diamond, 'e')).toThrow(RangeError);
    expect(() => DagGraph.from(diamond).task('e')).toThrow('DAG "diamond" has no task "e"');
  });
});

describe('DagGraph on definitions that skipped validation', () => {
  const handMade = (tasks: DagDefinition['tasks']): DagDefinition => ({ type: 'hand', tasks });

  it('refuses a cycle, naming it', () => {
    const dag = handMade([
      { id: 'a', type: 'echo', after: ['b'] },
      { id: 'b', type: 'echo', after: ['a'] },
    ]);
    expect(() => topologicalOrder(dag)).toThrow(DagValidationError);
    expect(problemsOf(() => DagGraph.from(dag))).toEqual(['cycle: a -> b -> a']);
  });

  it('refuses unknown and self dependencies and duplicate ids', () => {
    const dag = handMade([
      { id: 'a', type: 'echo', after: ['a'] },
      { id: 'b', type: 'echo', after: ['x'] },
      { id: 'b', type: 'echo' },
    ]);
    expect(problemsOf(() => DagGraph.from(dag))).toEqual([
      'duplicate task id "b"',
      'task "a" depends on itself (after: [a])',
      'task "b": after refers to unknown task "x"',
    ]);
  });
});

describe('large DAGs', () => {
  it('validates and orders a chain of 20,000 tasks without overflowing the stack', () => {
    const tasks = Array.from({ length: 20_000 }, (_, index) =>
      index === 0 ? { id: 't0', type: 'echo' } : { id: `t${index}`, type: 'echo', after: [`t${index - 1}`] },
    );
    const graph = DagGraph.from(validateDagDefinition({ type: 'chain', tasks: [...tasks].reverse() }));
    const order = topologicalOrder(graph);
    expect(order[0]).toBe('t0');
    expect(order.at(-1)).toBe('t19999');
    expect(downstreamOf(graph, 't0')).toHaveLength(19_999);
  });

  it('names a cycle that runs through 20,000 tasks', () => {
    const tasks = Array.from({ length: 20_000 }, (_, index) => ({
      id: `t${index}`,
      type: 'echo',
      after: [`t${(index + 19_999) % 20_000}`],
    }));
    const [problem] = problemsOf(() => validateDagDefinition({ type: 'ring', tasks }));
    expect(problem?.startsWith('cycle: t0 -> t1 -> t2 -> ')).toBe(true);
    expect(problem?.endsWith(' -> t19999 -> t0')).toBe(true);
  });
});

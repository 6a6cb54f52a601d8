import fc from 'fast-check';
import {
  DagGraph,
  downstreamOf,
  isComplete,
  readyDependentsOf,
  readyTasks,
  topologicalOrder,
  upstreamOf,
  validateDagDefinition,
} from '@wlm/commons/dag';
import { jsonErrorOffset } from '../../../src/dag/json-error-position';
import { problemsOf } from './dag-test-support';
import { randomDag } from './random-dag';

function positions(order: readonly string[]): Map<string, number> {
  return new Map(order.map((id, at) => [id, at]));
}

describe('DAG properties on random acyclic graphs', () => {
  it('validates every random DAG, and its topological order respects every edge', () => {
    fc.assert(
      fc.property(randomDag(), ({ definition, edges }) => {
        const dag = validateDagDefinition(definition);
        const order = topologicalOrder(dag);
        expect([...order].sort()).toEqual(definition.tasks.map((task) => task.id).sort());
        const at = positions(order);
        for (const [parent, child] of edges) {
          expect(at.get(parent)).toBeLessThan(at.get(child) ?? -1);
        }
      }),
    );
  });

  it('running ready tasks until done visits every task exactly once, in a valid order', () => {
    fc.assert(
      fc.property(randomDag(), fc.infiniteStream(fc.nat()), ({ definition, edges }, choices) => {
        const graph = DagGraph.from(validateDagDefinition(definition));
        const executed = new Set<string>();
        const inFlight = new Set<string>();
        const visited: string[] = [];
        const pick = choices[Symbol.iterator]();
        const next = (bound: number): number => (pick.next().value ?? 0) % bound;

        // Like the engine: dispatch some ready tasks, complete some in-flight ones, in random
        // interleavings. Mismatches are collected and asserted once: expect() in a hot loop is slow.
        const stalls: number[] = [];
        const mismatches: string[] = [];
        for (let step = 0; !isComplete(graph, executed) && step < 10 * graph.taskIds.length; step += 1) {
          const ready = readyTasks(graph, executed, inFlight);
          if (ready.length + inFlight.size === 0) stalls.push(step);
          if (ready.length > 0 && (inFlight.size === 0 || next(2) === 0)) {
            for (const id of ready.slice(0, 1 + next(ready.length))) inFlight.add(id);
            continue;
          }
          const done = [...inFlight][next(inFlight.size)] ?? '';
          inFlight.delete(done);
          executed.add(done);
          visited.push(done);
          // The incremental helper must find exactly the dependents this completion made ready.
          const before = new Set(readyTasks(graph, new Set(visited.slice(0, -1)), inFlight));
          const now = readyTasks(graph, executed, inFlight).filter((id) => !before.has(id));
          const incremental = readyDependentsOf(graph, done, executed, inFlight);
          if (incremental.join() !== now.join()) mismatches.push(`${done}: [${incremental}] vs [${now}]`);
        }

        expect(stalls).toEqual([]);
        expect(mismatches).toEqual([]);
        expect(isComplete(graph, executed)).toBe(true);
        expect(visited).toHaveLength(definition.tasks.length);
        expect(new Set(visited).size).toBe(visited.length);
        const at = positions(visited);
        for (const [parent, child] of edges) {
          expect(at.get(parent)).toBeLessThan(at.get(child) ?? -1);
        }
      }),
    );
  });

  it('upstream and downstream are mirror images and agree with the edges', () => {
    fc.assert(
      fc.property(randomDag(15), ({ definition, edges }) => {
        const graph = DagGraph.from(validateDagDefinition(definition));
        for (const id of graph.taskIds) {
          for (const below of downstreamOf(graph, id)) expect(upstreamOf(graph, below)).toContain(id);
        }
        for (const [parent, child] of edges) expect(downstreamOf(graph, parent)).toContain(child);
      }),
    );
  });

  it('adding a back edge always yields a cycle error naming a real cycle through it', () => {
    fc.assert(
      fc.property(randomDag(), fc.nat(), fc.nat(), ({ definition }, pickTask, pickDescendant) => {
        const graph = DagGraph.from(validateDagDefinition(definition));
        const sources = graph.taskIds.filter((id) => downstreamOf(graph, id).length > 0);
        fc.pre(sources.length > 0);
        const ancestor = sources[pickTask % sources.length] ?? '';
        const descendants = downstreamOf(graph, ancestor);
        const descendant = descendants[pickDescendant % descendants.length] ?? '';

        // The ancestor now waits for its own descendant: descendant -> ancestor closes a cycle.
        const tasks = definition.tasks.map((task) =>
          task.id === ancestor ? { ...task, after: [...task.after, descendant] } : task,
        );
        const isEdge = (from: string, to: string): boolean =>
          tasks.some((task) => task.id === to && task.after.includes(from));

        const problems = problemsOf(() => validateDagDefinition({ ...definition, tasks }));
        expect(problems).toHaveLength(1);
        const [problem = ''] = problems;
        expect(problem).toMatch(/^cycle: /);
        const cycle = problem.slice('cycle: '.length).split(' -> ');
        expect(cycle.length).toBeGreaterThanOrEqual(3);
        expect(cycle[0]).toBe(cycle.at(-1));
        expect(new Set(cycle.slice(1)).size).toBe(cycle.length - 1);
        const steps = cycle.slice(1).map((to, at) => [cycle[at] ?? '', to] as const);
        for (const [from, to] of steps) expect(isEdge(from, to)).toBe(true);
        // The graph was acyclic before, so every cycle must use the new edge.
        expect(steps).toContainEqual([descendant, ancestor]);
      }),
    );
  });
});

describe('jsonErrorOffset (the JSON syntax error locator)', () => {
  it('finds no error in any valid JSON', () => {
    fc.assert(
      fc.property(fc.json(), fc.constantFrom('', ' ', '\n\t'), (text, pad) => {
        expect(jsonErrorOffset(pad + text + pad)).toBeUndefined();
      }),
    );
  });

  it('agrees with JSON.parse on whether arbitrary JSON-like text is valid', () => {
    const token = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"a"',
      '"\\u00e9"',
      '"\\x"',
      '1',
      '-0.5e3',
      '01',
      'true',
      'nul',
      ' ',
      '\n',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 12 }), (tokens) => {
        const text = tokens.join('');
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        expect(jsonErrorOffset(text) === undefined).toBe(valid);
      }),
      { numRuns: 2000 },
    );
  });
});

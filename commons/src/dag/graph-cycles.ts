/** Edges of a graph given as "node → nodes that run after it"; self-loops are the caller's to report. */
export type Successors = (node: string) => readonly string[];

/**
 * The strongly connected components of more than one node — each holds at least one cycle —
 * by Tarjan's algorithm in O(V+E). Iterative rather than recursive so that a chain of thousands of
 * tasks cannot overflow the stack.
 */
function cyclicComponents(nodes: readonly string[], successors: Successors): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;

  const discover = (node: string, work: { node: string; next: number }[]): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    work.push({ node, next: 0 });
  };
  const lowOf = (node: string): number => low.get(node) ?? Number.POSITIVE_INFINITY;

  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { node: string; next: number }[] = [];
    discover(root, work);
    for (let frame = work.at(-1); frame !== undefined; frame = work.at(-1)) {
      const next = successors(frame.node)[frame.next];
      if (next !== undefined) {
        frame.next += 1;
        if (!index.has(next)) discover(next, work);
        else if (onStack.has(next)) low.set(frame.node, Math.min(lowOf(frame.node), index.get(next) ?? 0));
        continue;
      }
      work.pop();
      const parent = work.at(-1);
      if (parent !== undefined) low.set(parent.node, Math.min(lowOf(parent.node), lowOf(frame.node)));
      if (lowOf(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
        onStack.delete(member);
        component.push(member);
        if (member === frame.node) break;
      }
      if (component.length > 1) components.push(component);
    }
  }
  return components;
}

/** The shortest cycle through `start` inside its component, found by breadth-first search. */
function cycleThrough(start: string, component: ReadonlySet<string>, successors: Successors): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head += 1) {
    const node = queue[head] as string;
    for (const next of successors(node)) {
      if (!component.has(next)) continue;
      if (next === start) {
        const path = [node];
        for (let step = parent.get(node); step !== undefined; step = parent.get(step)) path.push(step);
        return [...path.reverse(), start];
      }
      if (parent.has(next)) continue;
      parent.set(next, node);
      queue.push(next);
    }
  }
  // Unreachable for a strongly connected component; an empty answer keeps the caller total.
  return [];
}

/**
 * One named cycle per tangle of tasks that depend on each other, e.g. `['a', 'b', 'c', 'a']`
 * where each consecutive pair is an edge. Each cycle starts at its component's first node in
 * `nodes` order, so the report reads in the order the user wrote the tasks.
 */
export function findCycles(nodes: readonly string[], successors: Successors): string[][] {
  const position = new Map(nodes.map((node, at) => [node, at]));
  const byPosition = (a: string, b: string): number =>
    (position.get(a) ?? Number.MAX_SAFE_INTEGER) - (position.get(b) ?? Number.MAX_SAFE_INTEGER);
  return cyclicComponents(nodes, successors)
    .map((component) => {
      const [start] = [...component].sort(byPosition);
      return start === undefined ? [] : cycleThrough(start, new Set(component), successors);
    })
    .filter((cycle) => cycle.length > 0)
    .sort((a, b) => byPosition(a[0] ?? '', b[0] ?? ''));
}

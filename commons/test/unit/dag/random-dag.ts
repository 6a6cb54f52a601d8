import fc from 'fast-check';

/** A random DAG as a definition, with its edges listed separately for the properties to check. */
export interface RandomDag {
  readonly definition: { type: string; tasks: { id: string; type: string; after: string[] }[] };
  /** `[parent, child]`: the child lists the parent in its `after`. */
  readonly edges: readonly (readonly [string, string])[];
}

const range = (n: number): number[] => Array.from({ length: n }, (_, index) => index);

/**
 * Random acyclic graphs: node ranks 0..n-1 get shuffled ids, edges only run from a lower to a
 * higher rank (so no cycle can exist), and the tasks are listed in a shuffled order so that the
 * definition order says nothing about the topological one.
 */
export const randomDag = (maxTasks = 30): fc.Arbitrary<RandomDag> =>
  fc
    .integer({ min: 1, max: maxTasks })
    .chain((n) =>
      fc.record({
        // A second permutation names the ranks, so an id says nothing about its place either.
        // (uniqueArray of random strings would do too, but generates far more slowly.)
        names: fc.shuffledSubarray(range(n), { minLength: n, maxLength: n }),
        pairs: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 3 }),
        listing: fc.shuffledSubarray(range(n), { minLength: n, maxLength: n }),
      }),
    )
    .map(({ names, pairs, listing }) => {
      const idOf = (rank: number): string => `task-${names[rank] ?? rank}`;
      const parentsOf = new Map<number, Set<number>>();
      for (const [x, y] of pairs) {
        if (x === y) continue;
        const [from, to] = x < y ? [x, y] : [y, x];
        parentsOf.set(to, (parentsOf.get(to) ?? new Set()).add(from));
      }
      const tasks = listing.map((rank) => ({
        id: idOf(rank),
        type: 'echo',
        after: [...(parentsOf.get(rank) ?? [])].map(idOf),
      }));
      const edges = tasks.flatMap((task) => task.after.map((parent) => [parent, task.id] as const));
      return { definition: { type: 'random', tasks }, edges };
    });

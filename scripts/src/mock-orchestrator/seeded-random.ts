/** A source of numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/**
 * mulberry32: a tiny seeded generator, so that `--shape random --seed N` builds the same DAGs on every
 * run and a surprising result can be replayed.
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * `count` distinct integers from [0, bound), in increasing order. Rejection sampling, because the
 * generators ask for a handful out of possibly thousands and must not pay O(bound) per task.
 */
export function sampleDistinct(random: RandomSource, bound: number, count: number): number[] {
  const picked = new Set<number>();
  const wanted = Math.min(count, bound);
  while (picked.size < wanted) picked.add(Math.floor(random() * bound));
  return [...picked].sort((a, b) => a - b);
}

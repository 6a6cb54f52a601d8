import { MEMORY_FLAT_TARGET, memoryFlatCost, residentBytes } from '../../service-memory';

const MiB = 2 ** 20;

describe('memoryFlatCost', () => {
  it('compares each service after many experiments with after few, and names the one that grew most', () => {
    const cost = memoryFlatCost(
      { orchestrator: 200 * MiB, scheduler: 100 * MiB },
      { orchestrator: 230 * MiB, scheduler: 150 * MiB },
      1_000,
      10_000,
    );
    expect(cost.ratio).toEqual({ orchestrator: 1.15, scheduler: 1.5 });
    expect(cost.beforeMiB).toEqual({ orchestrator: 200, scheduler: 100 });
    expect(cost.worst).toEqual({ service: 'scheduler', ratio: 1.5 });
    expect(cost.target).toBe(MEMORY_FLAT_TARGET);
  });

  it('leaves out a service sampled only once (one that exited)', () => {
    const cost = memoryFlatCost({ a: MiB, b: MiB }, { a: MiB }, 1, 2);
    expect(Object.keys(cost.ratio)).toEqual(['a']);
  });
});

describe('residentBytes', () => {
  it("reads this process's resident memory, and nothing for a process that does not exist", () => {
    const own = residentBytes(process.pid);
    expect(own).toBeGreaterThan(MiB);
    expect(own).toBeLessThan(process.memoryUsage().rss * 2);
    expect(residentBytes(2 ** 22 + 1)).toBeUndefined();
  });
});

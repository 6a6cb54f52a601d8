import {
  MEMORY_FLAT_TARGET,
  memoryFlatCost,
  residentBytes,
  sampleMemoryDuring,
  summarize,
} from '../../service-memory';

const MiB = 2 ** 20;

describe('summarize', () => {
  it("gives each service's mean and peak over the readings it appears in", () => {
    const phase = summarize([
      { orchestrator: 100 * MiB, scheduler: 50 * MiB },
      { orchestrator: 300 * MiB },
      { orchestrator: 200 * MiB, scheduler: 70 * MiB },
    ]);
    expect(phase.samples).toBe(3);
    expect(phase.meanBytes).toEqual({ orchestrator: 200 * MiB, scheduler: 60 * MiB });
    expect(phase.peakBytes).toEqual({ orchestrator: 300 * MiB, scheduler: 70 * MiB });
  });
});

describe('sampleMemoryDuring', () => {
  it('samples before, during and after the run, and hands back its result', async () => {
    let reading = 0;
    const sample = () => ({ service: (reading += 1) * MiB });
    const { result, memory } = await sampleMemoryDuring(
      sample,
      () => new Promise<string>((resolve) => setTimeout(() => resolve('done'), 60)),
      5,
    );
    expect(result).toBe('done');
    // The first and the last readings at least, whatever the timers did in between.
    expect(memory.samples).toBe(reading);
    expect(memory.samples).toBeGreaterThanOrEqual(2);
    expect(memory.peakBytes['service']).toBe(reading * MiB);
    expect(memory.meanBytes['service']).toBe(((reading + 1) / 2) * MiB);
  });

  it('stops sampling when the run fails', async () => {
    let readings = 0;
    await expect(
      sampleMemoryDuring(
        () => ({ service: (readings += 1) }),
        () => Promise.reject(new Error('phase failed')),
        1,
      ),
    ).rejects.toThrow('phase failed');
    const after = readings;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(readings).toBe(after);
  });
});

describe('memoryFlatCost', () => {
  it('compares the means of the phase with many experiments and with few, and names the one that grew most', () => {
    const cost = memoryFlatCost(
      summarize([{ orchestrator: 200 * MiB, scheduler: 100 * MiB }]),
      summarize([
        { orchestrator: 220 * MiB, scheduler: 100 * MiB },
        { orchestrator: 240 * MiB, scheduler: 200 * MiB },
      ]),
      1_000,
      10_000,
    );
    expect(cost.ratio).toEqual({ orchestrator: 1.15, scheduler: 1.5 });
    expect(cost.beforeMiB).toEqual({ orchestrator: 200, scheduler: 100 });
    expect(cost.afterMiB).toEqual({ orchestrator: 230, scheduler: 150 });
    expect(cost.peakAfterMiB).toEqual({ orchestrator: 240, scheduler: 200 });
    expect(cost.worst).toEqual({ service: 'scheduler', ratio: 1.5 });
    expect(cost.target).toBe(MEMORY_FLAT_TARGET);
  });

  it('leaves out a service sampled in one phase only (one that exited)', () => {
    const cost = memoryFlatCost(summarize([{ a: MiB, b: MiB }]), summarize([{ a: MiB }]), 1, 2);
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

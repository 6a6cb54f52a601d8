import { incarnationOf, newIncarnation, workerNodeName } from '../../../src/advertisement';

describe('worker incarnations', () => {
  it('names a node by worker and incarnation, and reads the incarnation back in start order', () => {
    const first = workerNodeName('w-1.a', newIncarnation(1_796_000_000_000));
    const later = workerNodeName('w-1.a', newIncarnation(1_796_000_000_001));
    expect(first).toMatch(/^w-1\.a~[0-9a-z]+$/);
    expect(incarnationOf(first, 'w-1.a')).toBe(1_796_000_000_000);
    expect(incarnationOf(later, 'w-1.a')).toBeGreaterThan(incarnationOf(first, 'w-1.a'));
  });

  it('gives 0 to a node named otherwise (a worker on a shared host agent)', () => {
    expect(incarnationOf('host-7', 'w1')).toBe(0);
    expect(incarnationOf('w1', 'w1')).toBe(0);
    expect(incarnationOf('w1~', 'w1')).toBe(0);
    expect(incarnationOf('w1~!!', 'w1')).toBe(0);
  });

  it("does not read another worker's node whose id is a prefix", () => {
    expect(incarnationOf(workerNodeName('w10', newIncarnation(5)), 'w1')).toBe(0);
  });
});

import fc from 'fast-check';
import { CapacityIndex } from '@wlm/scheduler';
import type { IndexedWorker } from '@wlm/scheduler';
import { worker } from './instances';

const ids = (workers: Iterable<IndexedWorker>): string[] => [...workers].map((w) => w.advertisement.workerId);

describe('CapacityIndex', () => {
  it('indexes workers by the task types they advertise', () => {
    const index = new CapacityIndex();
    index.upsert(worker('w1', { echo: '1.0.0', shell: '1.0.0' }, 2));
    index.upsert(worker('w2', { echo: '1.0.0' }, 1));
    expect(ids(index.candidates('echo'))).toEqual(['w1', 'w2']);
    expect(ids(index.candidates('shell'))).toEqual(['w1']);
    expect(ids(index.candidates('missing'))).toEqual([]);
    expect(index.countFor('echo')).toBe(2);
  });

  it('follows advert changes: free slots, task types added and dropped', () => {
    const index = new CapacityIndex();
    index.upsert(worker('w1', { echo: '1.0.0', shell: '1.0.0' }, 2, {}, 4));
    index.upsert(worker('w2', { echo: '1.0.0' }, 1, {}, 4));
    index.upsert(worker('w1', { echo: '1.0.0', data: '1.0.0' }, 0, {}, 4));
    expect(ids(index.candidates('echo'))).toEqual(['w2', 'w1']);
    expect(index.countFor('shell')).toBe(0);
    expect(ids(index.candidates('data'))).toEqual(['w1']);
    expect(index.best('echo')?.advertisement.workerId).toBe('w2');
  });

  it('forgets a removed worker everywhere', () => {
    const index = new CapacityIndex();
    index.upsert(worker('w1', { echo: '1.0.0', shell: '1.0.0' }, 2));
    expect(index.remove('w1')).toBe(true);
    expect(index.remove('w1')).toBe(false);
    expect(index.size).toBe(0);
    expect(index.best('echo')).toBeUndefined();
    expect(index.countFor('shell')).toBe(0);
  });

  it('reserves and releases slots within 0 and the advertised total', () => {
    const index = new CapacityIndex();
    index.upsert(worker('w1', { echo: '1.0.0' }, 1, {}, 2));
    index.reserve('w1', 5);
    expect(index.get('w1')?.freeSlots).toBe(0);
    index.release('w1', 5);
    expect(index.get('w1')?.freeSlots).toBe(2);
    index.reserve('unknown');
    expect(index.size).toBe(1);
  });

  it('always lists candidates by free slots, then by how long they have had that many', () => {
    type Op =
      | { kind: 'upsert'; id: number; types: string[]; free: number }
      | { kind: 'remove' | 'reserve' | 'release'; id: number };
    const id = fc.integer({ min: 0, max: 15 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant('upsert' as const),
        id,
        types: fc.subarray(['a', 'b', 'c']),
        free: fc.integer({ min: 0, max: 4 }),
      }),
      fc.record({ kind: fc.constantFrom('remove' as const, 'reserve' as const, 'release' as const), id }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const index = new CapacityIndex();
        // The model: per worker its types, free slots, and per type when it was filed at that count.
        const model = new Map<string, { free: number; filed: Map<string, number> }>();
        let clock = 0;
        const refile = (workerId: string, free: number, types: readonly string[]) => {
          const known = model.get(workerId);
          const filed = new Map<string, number>();
          for (const type of types) {
            const unchanged = known !== undefined && known.free === free && known.filed.has(type);
            filed.set(type, unchanged ? (known.filed.get(type) as number) : (clock += 1));
          }
          model.set(workerId, { free, filed });
        };
        for (const o of ops) {
          const workerId = `w${o.id}`;
          const known = model.get(workerId);
          if (o.kind === 'upsert') {
            index.upsert(
              worker(workerId, Object.fromEntries(o.types.map((t) => [t, '1.0.0'])), o.free, {}, 4),
            );
            refile(workerId, o.free, o.types);
          } else if (o.kind === 'remove') {
            index.remove(workerId);
            model.delete(workerId);
          } else if (known !== undefined) {
            if (o.kind === 'reserve') index.reserve(workerId);
            else index.release(workerId);
            const free = o.kind === 'reserve' ? Math.max(0, known.free - 1) : Math.min(4, known.free + 1);
            refile(workerId, free, [...known.filed.keys()]);
          }
        }
        for (const type of ['a', 'b', 'c']) {
          const expected = [...model]
            .filter(([, m]) => m.filed.has(type))
            .sort(
              ([, x], [, y]) =>
                y.free - x.free || (x.filed.get(type) as number) - (y.filed.get(type) as number),
            )
            .map(([workerId]) => workerId);
          expect(ids(index.candidates(type))).toEqual(expected);
          expect(index.best(type)?.advertisement.workerId).toBe(expected[0]);
          expect(index.countFor(type)).toBe(expected.length);
        }
      }),
      { numRuns: 500 },
    );
  });
});

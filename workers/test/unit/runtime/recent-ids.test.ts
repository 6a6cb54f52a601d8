import { RecentIds } from '../../../src/runtime/recent-ids';

describe('RecentIds', () => {
  it('remembers the most recent ids up to its capacity', () => {
    const ids = new RecentIds(2);
    ids.add('a');
    ids.add('b');
    ids.add('a');
    ids.add('c');
    expect([ids.has('a'), ids.has('b'), ids.has('c')]).toEqual([true, false, true]);
  });
});

import { RecentMap, RecentSet } from '@wlm/commons/collections';

describe('RecentMap', () => {
  it('forgets the oldest entries beyond its capacity', () => {
    const map = new RecentMap<string, number>({ capacity: 2 });
    map.set('a', 1, 0);
    map.set('b', 2, 1);
    map.set('c', 3, 2);
    expect(map.size).toBe(2);
    expect([map.get('a', 3), map.get('b', 3), map.get('c', 3)]).toEqual([undefined, 2, 3]);
  });

  it('forgets an entry once its ttl has passed', () => {
    const map = new RecentMap<string, number>({ capacity: 10, ttlMs: 1_000 });
    map.set('a', 1, 0);
    expect(map.get('a', 999)).toBe(1);
    expect(map.has('a', 1_000)).toBe(false);
    expect(map.size).toBe(0);
  });

  it('drops expired entries when a new one is set', () => {
    const map = new RecentMap<string, number>({ capacity: 10, ttlMs: 1_000 });
    map.set('a', 1, 0);
    map.set('b', 2, 500);
    map.set('c', 3, 1_200);
    expect(map.size).toBe(2);
  });

  it('refreshes a key that is set again: youngest, with a new expiry and value', () => {
    const map = new RecentMap<string, number>({ capacity: 2, ttlMs: 1_000 });
    map.set('a', 1, 0);
    map.set('b', 2, 100);
    map.set('a', 10, 800);
    expect(map.get('a', 1_500)).toBe(10);
    map.set('c', 3, 1_050);
    expect([map.has('a', 1_060), map.has('b', 1_060), map.has('c', 1_060)]).toEqual([true, false, true]);
  });

  it('does not refresh a key that is only read', () => {
    const map = new RecentMap<string, number>({ capacity: 2 });
    map.set('a', 1, 0);
    map.set('b', 2, 1);
    map.get('a', 2);
    map.set('c', 3, 3);
    expect(map.has('a', 4)).toBe(false);
  });

  it('deletes a key', () => {
    const map = new RecentMap<string, number>({ capacity: 2 });
    map.set('a', 1);
    expect(map.delete('a')).toBe(true);
    expect(map.has('a')).toBe(false);
  });

  it('refuses a capacity below one', () => {
    expect(() => new RecentMap({ capacity: 0 })).toThrow(RangeError);
  });
});

describe('RecentSet', () => {
  it('remembers the most recently added keys, a re-added key counting as new', () => {
    const ids = new RecentSet<string>({ capacity: 2 });
    ids.add('a');
    ids.add('b');
    ids.add('a');
    ids.add('c');
    expect([ids.has('a'), ids.has('b'), ids.has('c')]).toEqual([true, false, true]);
    expect(ids.size).toBe(2);
  });

  it('forgets keys after their ttl', () => {
    const keys = new RecentSet<string>({ capacity: 10, ttlMs: 1_000 });
    keys.add('a', 0);
    expect(keys.has('a', 999)).toBe(true);
    expect(keys.has('a', 1_000)).toBe(false);
  });

  it('deletes a key, saying whether it was held and not yet expired', () => {
    const keys = new RecentSet<string>({ capacity: 10, ttlMs: 1_000 });
    keys.add('a', 0);
    keys.add('b', 0);
    expect(keys.delete('a', 500)).toBe(true);
    expect(keys.has('a', 500)).toBe(false);
    expect(keys.delete('a', 500)).toBe(false);
    expect(keys.delete('b', 1_000)).toBe(false);
    expect(keys.size).toBe(0);
  });
});

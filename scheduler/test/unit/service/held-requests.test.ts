import fc from 'fast-check';
import { HeldRequests, compareDue, compareHeld } from '@wlm/scheduler';

interface Item {
  key: string;
  priority: number;
  seq: number;
  dueAt: number;
}

const item = (key: string, priority: number, seq: number, dueAt = 0): Item => ({ key, priority, seq, dueAt });

describe('HeldRequests', () => {
  it('orders by priority, highest first, then oldest first', () => {
    const held = new HeldRequests<Item>(compareHeld);
    held.add(item('a', 1, 0));
    held.add(item('b', 5, 1));
    held.add(item('c', 3, 2));
    held.add(item('d', 9, 3));
    held.add(item('e', 5, 4));
    expect(held.ordered().map((i) => i.key)).toEqual(['d', 'b', 'e', 'c', 'a']);
    expect(held.first()?.key).toBe('d');
  });

  it('matches sorting for any arrival order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 60 }), (priorities) => {
        const held = new HeldRequests<Item>(compareHeld);
        const items = priorities.map((priority, seq) => item(`k${seq}`, priority, seq));
        for (const i of items) held.add(i);
        expect(held.ordered()).toEqual([...items].sort(compareHeld));
      }),
    );
  });

  it('replaces an item with the same key and returns the old one', () => {
    const held = new HeldRequests<Item>(compareHeld);
    const first = item('a', 1, 0);
    held.add(first);
    expect(held.add(item('a', 7, 1))).toBe(first);
    expect(held.size).toBe(1);
    expect(held.get('a')?.priority).toBe(7);
  });

  it('removes selected items and clears', () => {
    const held = new HeldRequests<Item>(compareHeld);
    for (const [i, key] of ['a', 'b', 'c'].entries()) held.add(item(key, i, i));
    expect(held.removeWhere((i) => i.key !== 'b').map((i) => i.key)).toEqual(['c', 'a']);
    expect(held.remove('b')?.key).toBe('b');
    expect(held.remove('b')).toBeUndefined();
    held.add(item('z', 0, 9));
    expect(held.clear().map((i) => i.key)).toEqual(['z']);
    expect(held.size).toBe(0);
  });

  it('orders deferred requests by due time', () => {
    const deferred = new HeldRequests<Item>(compareDue);
    deferred.add(item('late', 9, 0, 3_000));
    deferred.add(item('soon', 0, 1, 1_000));
    deferred.add(item('soon-too', 0, 2, 1_000));
    expect(deferred.ordered().map((i) => i.key)).toEqual(['soon', 'soon-too', 'late']);
  });
});

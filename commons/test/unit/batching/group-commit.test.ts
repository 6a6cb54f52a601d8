import { GroupCommit } from '../../../src/batching';
import type { ItemOutcome } from '../../../src/batching';

/** A write whose groups the test releases one by one, recording what each held. */
function controlledWrite() {
  const groups: number[][] = [];
  const releases: (() => void)[] = [];
  const write = (items: readonly number[]): Promise<ItemOutcome<number>[]> => {
    groups.push([...items]);
    return new Promise((resolve) =>
      releases.push(() =>
        resolve(
          items.map((item) =>
            item < 0 ? { ok: false, error: new Error(`bad ${item}`) } : { ok: true, result: item * 10 },
          ),
        ),
      ),
    );
  };
  return { groups, releases, write };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  expect.hasAssertions();
});

describe('GroupCommit', () => {
  it('writes a lone item at once, and what arrives meanwhile as the next group', async () => {
    const { groups, releases, write } = controlledWrite();
    const commit = new GroupCommit(write, { groupsInFlight: 1, maxGroup: 100 });
    const first = commit.add(1);
    await settle();
    expect(groups).toEqual([[1]]);
    const later = [2, 3, 4].map((item) => commit.add(item));
    await settle();
    expect(groups).toEqual([[1]]);
    expect(commit.size).toBe(4);
    releases[0]?.();
    expect(await first).toBe(10);
    await settle();
    expect(groups).toEqual([[1], [2, 3, 4]]);
    releases[1]?.();
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
    expect(commit.size).toBe(0);
  });

  it('keeps each item its own outcome, and bounds groups in flight and their size', async () => {
    const { groups, releases, write } = controlledWrite();
    const commit = new GroupCommit(write, { groupsInFlight: 2, maxGroup: 2 });
    const results = [1, -2, 3, 4, 5].map((item) => commit.add(item).catch((error: Error) => error.message));
    await settle();
    // Two groups in flight: the third item waits, and the next group holds at most two.
    expect(groups).toEqual([[1], [-2]]);
    releases[0]?.();
    await settle();
    expect(groups).toEqual([[1], [-2], [3, 4]]);
    releases[1]?.();
    await settle();
    expect(groups).toEqual([[1], [-2], [3, 4], [5]]);
    releases[2]?.();
    releases[3]?.();
    expect(await Promise.all(results)).toEqual([10, 'bad -2', 30, 40, 50]);
  });

  it('fails every item of a group whose write throws, and goes on with the next', async () => {
    let calls = 0;
    const commit = new GroupCommit<number, number>(
      async (items) => {
        calls += 1;
        if (calls === 1) throw new Error('store down');
        return items.map((item) => ({ ok: true, result: item }));
      },
      { groupsInFlight: 1, maxGroup: 10 },
    );
    const first = commit.add(1).catch((error: Error) => error.message);
    const second = commit.add(2).catch((error: Error) => error.message);
    expect(await first).toBe('store down');
    expect(await second).toBe(2);
  });
});

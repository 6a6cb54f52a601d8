import { createLogger } from '@wlm/commons/logging';
import type { Experiment } from '../../../src/domain/records';
import { BackgroundStarts } from '../../../src/engine/background-starts';

const logger = createLogger({ component: 'test', level: 'silent', pretty: false });

function experiment(id: string): Experiment {
  return { id, state: 'PENDING', run: 1 } as Experiment;
}

/** startMany that records each group and fails the ids it is told to. */
function driver(failing: ReadonlySet<string> = new Set()) {
  const groups: string[][] = [];
  return {
    groups,
    async startMany(experiments: readonly Experiment[]): Promise<Map<string, unknown>> {
      groups.push(experiments.map(({ id }) => id));
      await new Promise((resolve) => setImmediate(resolve));
      return new Map(
        experiments.filter(({ id }) => failing.has(id)).map(({ id }) => [id, new Error(`no ${id}`)]),
      );
    },
  };
}

describe('BackgroundStarts', () => {
  it('starts what arrives while a group is being started together, as the next group', async () => {
    const fake = driver();
    const starts = new BackgroundStarts(fake, logger, { maxQueued: 100, maxGroup: 100 });
    for (const id of ['a', 'b', 'c']) starts.add(experiment(id));
    await starts.idle();
    expect(fake.groups).toEqual([['a'], ['b', 'c']]);
  });

  it('starts an experiment added twice (one key submitted twice) once', async () => {
    const fake = driver();
    const starts = new BackgroundStarts(fake, logger, { maxQueued: 100, maxGroup: 100 });
    starts.add(experiment('a'));
    starts.add(experiment('a'));
    await starts.idle();
    expect(fake.groups.flat()).toEqual(['a']);
  });

  it('leaves a failed start to the reconciler: the others start, and idle still settles', async () => {
    const fake = driver(new Set(['b']));
    const starts = new BackgroundStarts(fake, logger, { maxQueued: 100, maxGroup: 100 });
    for (const id of ['a', 'b', 'c']) starts.add(experiment(id));
    await expect(starts.idle()).resolves.toBeUndefined();
    expect(fake.groups.flat().sort()).toEqual(['a', 'b', 'c']);
  });

  it('has room only for as many as maxQueued, counting those not yet started', async () => {
    const starts = new BackgroundStarts(driver(), logger, { maxQueued: 2, maxGroup: 100 });
    expect(starts.hasRoomFor(2)).toBe(true);
    starts.add(experiment('a'));
    expect(starts.hasRoomFor(1)).toBe(true);
    expect(starts.hasRoomFor(2)).toBe(false);
    await starts.idle();
    expect(starts.hasRoomFor(2)).toBe(true);
  });
});

import { CapacityIndex, GreedyPlacement } from '@wlm/scheduler';
import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import { worker } from './instances';

function placementOver(workers: WorkerAdvertisement[], options = {}): GreedyPlacement {
  const index = new CapacityIndex();
  for (const w of workers) index.upsert(w);
  return new GreedyPlacement(index, options);
}

describe('GreedyPlacement', () => {
  it('picks the worker with the most free slots', () => {
    const placement = placementOver([
      worker('w1', { echo: '1.0.0' }, 1, {}, 4),
      worker('w2', { echo: '1.0.0' }, 3, {}, 4),
      worker('w3', { echo: '1.0.0' }, 2, {}, 4),
    ]);
    expect(placement.place({ taskType: 'echo' })?.workerId).toBe('w2');
  });

  it('reserves the slot it hands out, so a burst spreads and then stops at capacity', () => {
    const placement = placementOver([worker('w1', { echo: '1.0.0' }, 2), worker('w2', { echo: '1.0.0' }, 1)]);
    const chosen = Array.from({ length: 4 }, () => placement.place({ taskType: 'echo' })?.workerId);
    expect(chosen).toEqual(['w1', 'w2', 'w1', undefined]);
  });

  it('round-robins over equally free workers, deterministically', () => {
    const placement = placementOver(['w3', 'w1', 'w2'].map((id) => worker(id, { echo: '1.0.0' }, 5, {}, 10)));
    const chosen = Array.from({ length: 6 }, () => placement.place({ taskType: 'echo' })?.workerId);
    expect(chosen).toEqual(['w3', 'w1', 'w2', 'w3', 'w1', 'w2']);
  });

  it('never picks a worker without the task type', () => {
    const placement = placementOver([worker('w1', { shell: '1.0.0' }, 8)]);
    expect(placement.place({ taskType: 'echo' })).toBeUndefined();
  });

  it('honours required labels', () => {
    const placement = placementOver([
      worker('big', { echo: '1.0.0' }, 8, { site: 'iu' }),
      worker('small', { echo: '1.0.0' }, 1, { site: 'bigred', gpu: 'a100' }),
    ]);
    expect(placement.place({ taskType: 'echo', constraints: { labels: { site: 'bigred' } } })?.workerId).toBe(
      'small',
    );
    expect(
      placement.place({ taskType: 'echo', constraints: { labels: { site: 'nowhere' } } }),
    ).toBeUndefined();
  });

  it('honours the minimum plugin version by semver order', () => {
    const placement = placementOver([
      worker('old', { echo: '1.9.0' }, 8),
      worker('new', { echo: '1.10.0' }, 1),
    ]);
    expect(placement.place({ taskType: 'echo', constraints: { minPluginVersion: '1.10.0' } })?.workerId).toBe(
      'new',
    );
    expect(placement.place({ taskType: 'echo', constraints: { minPluginVersion: '2.0.0' } })).toBeUndefined();
  });

  it('sends a retry to a different worker than the one that failed', () => {
    const placement = placementOver([worker('w1', { echo: '1.0.0' }, 8), worker('w2', { echo: '1.0.0' }, 1)]);
    expect(placement.place({ taskType: 'echo' }, new Set(['w1']))?.workerId).toBe('w2');
  });

  it('waits for a busy different worker rather than fall back to the failed one', () => {
    const placement = placementOver([
      worker('w1', { echo: '1.0.0' }, 8),
      worker('w2', { echo: '1.0.0' }, 0, {}, 1),
    ]);
    expect(placement.place({ taskType: 'echo' }, new Set(['w1']))).toBeUndefined();
  });

  it('falls back to the failed worker only when no other capable worker exists', () => {
    const workers = [worker('w1', { echo: '1.0.0' }, 8), worker('w2', { shell: '1.0.0' }, 8)];
    expect(placementOver(workers).place({ taskType: 'echo' }, new Set(['w1']))?.workerId).toBe('w1');
    const strict = placementOver(workers, { fallbackToExcluded: false });
    expect(strict.place({ taskType: 'echo' }, new Set(['w1']))).toBeUndefined();
  });
});

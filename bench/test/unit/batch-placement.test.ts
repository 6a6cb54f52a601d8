import { CapacityIndex, GreedyPlacement } from '@wlm/scheduler';
import { placeGreedily, priorityLevels } from '../../batch-placement';
import { worker } from './placement-instances';

describe('greedy batch placement', () => {
  it('places a burst highest priority first', () => {
    const index = new CapacityIndex();
    index.upsert(worker('w1', { echo: '1.0.0' }, 1));
    const low = { taskType: 'echo', priority: 1 };
    const high = { taskType: 'echo', priority: 7 };
    const result = placeGreedily(new GreedyPlacement(index), [low, high]);
    expect(result.assignments).toEqual([{ request: high, requestIndex: 1, workerId: 'w1' }]);
    expect(result.unplaced).toEqual([low]);
  });

  it('groups a burst by priority, highest first, input order within a level', () => {
    const levels = priorityLevels([
      { taskType: 'a', priority: 1 },
      { taskType: 'a' },
      { taskType: 'a', priority: 5 },
      { taskType: 'a', priority: 1 },
    ]);
    expect(levels).toEqual([[2], [0, 3], [1]]);
  });
});

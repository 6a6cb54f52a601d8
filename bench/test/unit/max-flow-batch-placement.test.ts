import fc from 'fast-check';
import type { PlacementRequest } from '@wlm/scheduler';
import { MaxFlowBatchPlacement } from '../../max-flow-batch-placement';
import {
  arbitraryRequests,
  arbitraryWorkers,
  bruteForceBest,
  expectValid,
  greedy,
  placedPerPriority,
  worker,
} from './placement-instances';

const maxFlow = new MaxFlowBatchPlacement();

describe('MaxFlowBatchPlacement', () => {
  it('places strictly more than greedy when greedy takes the only worker another task can use', () => {
    // A runs on w1 or w2, B only on w1, one slot each. Greedy gives A the tie-winner w1 and strands B.
    const workers = [worker('w1', { a: '1.0.0', b: '1.0.0' }), worker('w2', { a: '1.0.0' })];
    const requests = [{ taskType: 'a' }, { taskType: 'b' }];

    const greedyResult = greedy(requests, workers);
    expect(greedyResult.assignments.map((a) => a.workerId)).toEqual(['w1']);
    expect(greedyResult.unplaced).toEqual([{ taskType: 'b' }]);

    const result = maxFlow.place(requests, workers);
    expect(result.assignments.map((a) => [a.request.taskType, a.workerId])).toEqual([
      ['a', 'w2'],
      ['b', 'w1'],
    ]);
    expect(result.unplaced).toEqual([]);
  });

  it('never exceeds a worker’s free slots', () => {
    const workers = [worker('w1', { a: '1.0.0' }, 2, {}, 4), worker('w2', { a: '1.0.0' }, 0, {}, 4)];
    const requests = Array.from({ length: 5 }, () => ({ taskType: 'a' }));
    const result = maxFlow.place(requests, workers);
    expect(result.assignments.map((a) => a.workerId)).toEqual(['w1', 'w1']);
    expect(result.unplaced).toHaveLength(3);
  });

  it('never assigns a worker that lacks the task type, a label or the plugin version', () => {
    const workers = [
      worker('old', { a: '1.0.0' }, 5, { site: 'x' }),
      worker('elsewhere', { a: '2.0.0' }, 5, { site: 'y' }),
      worker('other-type', { b: '2.0.0' }, 5, { site: 'x' }),
    ];
    const request: PlacementRequest = {
      taskType: 'a',
      constraints: { labels: { site: 'x' }, minPluginVersion: '2.0.0' },
    };
    expect(maxFlow.place([request], workers)).toEqual({ assignments: [], unplaced: [request] });
  });

  it('places higher priorities first when capacity is short, and as many as possible overall', () => {
    const workers = [worker('w1', { a: '1.0.0', b: '1.0.0' }), worker('w2', { a: '1.0.0' })];
    const low = { taskType: 'a', priority: 1 };
    const high = { taskType: 'b', priority: 9 };
    const highA = { taskType: 'a', priority: 5 };
    const result = maxFlow.place([low, high, highA], workers);
    expect(result.assignments.map((a) => a.request)).toEqual([high, highA]);
    expect(result.unplaced).toEqual([low]);
  });

  it('reroutes a higher-priority task to make room for a lower one rather than strand it', () => {
    // Flow per level without rerouting could put the high task on w1 and leave the low one unplaced.
    const workers = [worker('w1', { a: '1.0.0', b: '1.0.0' }), worker('w2', { a: '1.0.0' })];
    const result = maxFlow.place(
      [
        { taskType: 'a', priority: 9 },
        { taskType: 'b', priority: 0 },
      ],
      workers,
    );
    expect(result.unplaced).toEqual([]);
  });

  it('handles an empty burst and an empty cluster', () => {
    expect(maxFlow.place([], [worker('w1', { a: '1.0.0' })])).toEqual({ assignments: [], unplaced: [] });
    expect(maxFlow.place([{ taskType: 'a' }], [])).toEqual({
      assignments: [],
      unplaced: [{ taskType: 'a' }],
    });
  });

  it('gives valid assignments, never fewer than greedy, on random instances', () => {
    fc.assert(
      fc.property(arbitraryRequests(40), arbitraryWorkers(12), (requests, workers) => {
        const result = maxFlow.place(requests, workers);
        expectValid(result, requests, workers);
        const greedyResult = greedy(requests, workers);
        expectValid(greedyResult, requests, workers);
        expect(result.assignments.length).toBeGreaterThanOrEqual(greedyResult.assignments.length);
      }),
      { numRuns: 300 },
    );
  });

  it('reaches the brute-force optimum, per priority level, on tiny instances', () => {
    fc.assert(
      fc.property(arbitraryRequests(6), arbitraryWorkers(4), (requests, workers) => {
        const result = maxFlow.place(requests, workers);
        const priorities = [...new Set(requests.map((r) => r.priority ?? 0))].sort((a, b) => b - a);
        const placed = result.assignments.map((a) => a.request.priority ?? 0);
        expect(placedPerPriority(placed, priorities)).toEqual(bruteForceBest(requests, workers));
      }),
      { numRuns: 300 },
    );
  });
});

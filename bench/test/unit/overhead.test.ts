import { overheadByHopOf, overheadOf } from '../../overhead';
import type { DispatchTimes, TaskTimes } from '../../overhead';
import type { Shape } from '../../shapes';

/** a → c ← b: c waits for both. */
const join: Shape = {
  name: 'join',
  description: 'two roots and a join',
  experiments: 2,
  tasks: [
    { id: 'a', after: [] },
    { id: 'b', after: [] },
    { id: 'c', after: ['a', 'b'] },
  ],
};

const times = new Map<string, TaskTimes>([
  ['e1/a', { startedAt: 0, endedAt: 10 }],
  ['e1/b', { startedAt: 0, endedAt: 30 }],
  ['e1/c', { startedAt: 130, endedAt: 140 }],
  ['e2/a', { startedAt: 0, endedAt: 20 }],
  ['e2/b', { startedAt: 0, endedAt: 5 }],
  ['e2/c', { startedAt: 60, endedAt: 70 }],
]);
const timesOf = (experiment: string, taskId: string) => times.get(`${experiment}/${taskId}`);

describe('overheadOf', () => {
  it("measures each dependent task from its last dependency's end to its start", () => {
    // e1/c: 130 - 30; e2/c: 60 - 20.
    expect(overheadOf(join, ['e1', 'e2'], timesOf)).toEqual({ samples: 2, p50: 40, p99: 100, max: 100 });
  });
});

describe('overheadByHopOf', () => {
  it('splits the overhead at the request and the placement, and the hops add up to it', () => {
    const dispatches = new Map<string, DispatchTimes>([
      ['e1/c', { requestedAt: 50, placedAt: 120 }],
      ['e2/c', { requestedAt: 24, placedAt: 30 }],
    ]);
    const hops = overheadByHopOf(join, ['e1', 'e2'], timesOf, (e, id) => dispatches.get(`${e}/${id}`));
    expect(hops.orchestrator).toEqual({ samples: 2, p50: 4, p99: 20, max: 20 });
    expect(hops.scheduler).toEqual({ samples: 2, p50: 6, p99: 70, max: 70 });
    expect(hops.worker).toEqual({ samples: 2, p50: 10, p99: 30, max: 30 });
  });

  it('leaves out a task whose request or placement the audit trail does not have', () => {
    const hops = overheadByHopOf(join, ['e1', 'e2'], timesOf, (e) =>
      e === 'e1' ? { requestedAt: 50, placedAt: 120 } : undefined,
    );
    expect(hops.orchestrator.samples).toBe(1);
    expect(hops.worker).toEqual({ samples: 1, p50: 10, p99: 10, max: 10 });
  });
});

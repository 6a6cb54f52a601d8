import type { TaskStateChange } from '../../../src/domain/dag-store';
import { QueuedInDag } from '../../../src/engine/queued-in-dag';

const change = (
  taskId: string,
  attempt: number,
  state: TaskStateChange['state'],
  run = 1,
): TaskStateChange => ({
  experimentId: 'exp-1',
  run,
  taskId,
  attempt,
  state,
});

describe('QueuedInDag', () => {
  it('takes a QUEUED it remembers once, for that run, task and attempt only', () => {
    const queued = new QueuedInDag();
    queued.remember([change('a', 1, 'QUEUED')]);

    expect(queued.take(change('a', 2, 'QUEUED'))).toBe(false);
    expect(queued.take(change('a', 1, 'QUEUED', 2))).toBe(false);
    expect(queued.take(change('b', 1, 'QUEUED'))).toBe(false);
    expect(queued.take(change('a', 1, 'QUEUED'))).toBe(true);
    expect(queued.take(change('a', 1, 'QUEUED'))).toBe(false);
  });

  it('remembers only QUEUED, and never takes another state', () => {
    const queued = new QueuedInDag();
    queued.remember([change('a', 1, 'PENDING'), change('b', 1, 'FAILED'), change('c', 1, 'QUEUED')]);

    expect(queued.take(change('a', 1, 'QUEUED'))).toBe(false);
    expect(queued.take(change('b', 1, 'QUEUED'))).toBe(false);
    expect(queued.take(change('c', 1, 'RUNNING'))).toBe(false);
    expect(queued.take(change('c', 1, 'QUEUED'))).toBe(true);
  });
});

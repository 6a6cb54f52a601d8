import type { CancelTask } from '@wlm/commons/wire';
import { RecentCancels, cancelApplies } from '@wlm/commons/control';

function cancel(extra: Partial<CancelTask> = {}): CancelTask {
  return {
    v: 1,
    type: 'CANCEL_TASK',
    experimentId: 'e1',
    run: 1,
    requestedAt: '2026-01-01T00:00:10.000Z',
    ...extra,
  };
}
const before = '2026-01-01T00:00:05.000Z';
const after = '2026-01-01T00:00:15.000Z';

describe('cancelApplies', () => {
  it('matches the experiment, the task when one is named, and only requests made before the cancel', () => {
    expect(cancelApplies(cancel(), { experimentId: 'e1', run: 1, taskId: 'a', requestedAt: before })).toBe(
      true,
    );
    expect(cancelApplies(cancel(), { experimentId: 'e2', run: 1, taskId: 'a', requestedAt: before })).toBe(
      false,
    );
    expect(
      cancelApplies(cancel({ taskId: 'b' }), {
        experimentId: 'e1',
        run: 1,
        taskId: 'a',
        requestedAt: before,
      }),
    ).toBe(false);
    // A resume of the same run after the cancel reuses the ids but is not cancelled by it.
    expect(cancelApplies(cancel(), { experimentId: 'e1', run: 1, taskId: 'a', requestedAt: after })).toBe(
      false,
    );
    // A rerun is another run: the cancel of run 1 never stops it, whenever its requests were made.
    expect(cancelApplies(cancel(), { experimentId: 'e1', run: 2, taskId: 'a', requestedAt: before })).toBe(
      false,
    );
  });
});

describe('RecentCancels', () => {
  it('finds a remembered cancel of the task or of its whole experiment until it expires', () => {
    const cancels = new RecentCancels(1000);
    cancels.remember(cancel({ taskId: 'a' }), 0);
    cancels.remember(cancel({ experimentId: 'e2' }), 0);
    expect(cancels.find({ experimentId: 'e1', run: 1, taskId: 'a', requestedAt: before }, 500)?.taskId).toBe(
      'a',
    );
    expect(
      cancels.find({ experimentId: 'e1', run: 1, taskId: 'b', requestedAt: before }, 500),
    ).toBeUndefined();
    expect(
      cancels.find({ experimentId: 'e2', run: 1, taskId: 'z', requestedAt: before }, 500)?.experimentId,
    ).toBe('e2');
    expect(
      cancels.find({ experimentId: 'e2', run: 1, taskId: 'z', requestedAt: before }, 1000),
    ).toBeUndefined();
  });

  it('forgets the oldest cancels beyond its capacity', () => {
    const cancels = new RecentCancels(60_000, 2);
    for (const experimentId of ['e1', 'e2', 'e3']) cancels.remember(cancel({ experimentId }), 0);
    expect(cancels.size).toBe(2);
    expect(cancels.find({ experimentId: 'e1', run: 1, taskId: 'a', requestedAt: before }, 1)).toBeUndefined();
    expect(cancels.find({ experimentId: 'e3', run: 1, taskId: 'a', requestedAt: before }, 1)).toBeDefined();
  });
});

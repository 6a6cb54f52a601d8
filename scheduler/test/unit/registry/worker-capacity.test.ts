import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import type { TaskEvent } from '@wlm/commons/wire';
import { WorkerCapacity } from '@wlm/scheduler';

/* Free slots as placement counts them, for the workers the registry says may be given work. */

const ad = (freeSlots: number, slots = 4): WorkerAdvertisement => ({
  role: 'worker',
  workerId: 'w',
  queue: 'wlm.worker.w',
  slots,
  freeSlots,
  taskTypes: { echo: '1.0.0' },
  labels: {},
});

/** A capacity at a settable clock, where worker `w` may be given work while `placeable` holds. */
function capacity() {
  const state = { now: 0, placeable: true, advert: ad(4) };
  const slots = new WorkerCapacity(
    { settleMs: 1_000, unseenMs: 3_000, maxAgeMs: 10_000 },
    () => state.now,
    (workerId) => (workerId === 'w' && state.placeable ? state.advert : undefined),
  );
  return { slots, state };
}

describe('WorkerCapacity', () => {
  it('indexes a placeable worker with its advertised free slots, and reports the growth', () => {
    const { slots } = capacity();
    expect(slots.advert(ad(3), true)).toBe(true);
    expect(slots.index.get('w')?.freeSlots).toBe(3);
    expect(slots.advert(ad(3), true)).toBe(false);
    expect(slots.advert(ad(4), true)).toBe(true);
  });

  it('keeps a worker that may not be given work out of the index, but still counts its slots', () => {
    const { slots } = capacity();
    expect(slots.advert(ad(2), false)).toBe(false);
    expect(slots.index.get('w')).toBeUndefined();
    expect(slots.freeOf(ad(2))).toBe(2);
  });

  it('takes a slot for a placement the advert cannot show yet, and gives it back when unplaced', () => {
    const { slots, state } = capacity();
    slots.advert(ad(4), true);
    state.now = 10;
    slots.placed('w', 'e/t/1');
    expect(slots.index.get('w')?.freeSlots).toBe(3);
    expect(slots.unplaced('w', 'e/t/1')).toBe(true);
    expect(slots.index.get('w')?.freeSlots).toBe(4);
  });

  it('frees the slot of a finished assignment at once', () => {
    const { slots, state } = capacity();
    slots.advert(ad(4), true);
    slots.placed('w', 'e/t/1');
    state.now = 100;
    const attempt = {
      v: 1,
      experimentId: 'e',
      run: 1,
      taskId: 't',
      attempt: 1,
      at: new Date(0).toISOString(),
      workerId: 'w',
    } as const;
    const running: TaskEvent = { ...attempt, state: 'RUNNING' };
    const completed: TaskEvent = { ...attempt, state: 'COMPLETED', outputs: {} };
    expect(slots.acknowledge(running)).toBe(false);
    expect(slots.acknowledge(completed)).toBe(true);
    expect(slots.index.get('w')?.freeSlots).toBe(4);
  });

  it('withholds and restores a worker, and forgets one that is gone', () => {
    const { slots } = capacity();
    slots.advert(ad(2), true);
    slots.withhold('w');
    expect(slots.index.get('w')).toBeUndefined();
    slots.restore(ad(2));
    expect(slots.index.get('w')?.freeSlots).toBe(2);
    slots.forget('w');
    expect(slots.index.get('w')).toBeUndefined();
  });
});

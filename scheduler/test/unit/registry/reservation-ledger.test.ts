import { ReservationLedger } from '@wlm/scheduler';

/*
 * The free-slot rule between adverts. Times are plain numbers (ms); settle 1,000, unseen 3,000,
 * max age 10,000 keep the arithmetic readable.
 */
const options = { settleMs: 1_000, unseenMs: 3_000, maxAgeMs: 10_000 };

function ledgerWith(freeSlots: number, slots: number, at = 0): ReservationLedger {
  const ledger = new ReservationLedger(options);
  ledger.advert('w', freeSlots, slots, at);
  return ledger;
}

describe('ReservationLedger', () => {
  it('takes a slot for each placement the advert cannot include yet', () => {
    const ledger = ledgerWith(3, 4);
    ledger.placed('w', 'e/a/1', 10);
    ledger.placed('w', 'e/b/1', 20);
    expect(ledger.free('w', 30)).toBe(1);
    expect(ledger.reservedOn('w', 30)).toBe(2);
  });

  it('never goes below zero nor above the slots', () => {
    const ledger = ledgerWith(1, 2);
    ledger.placed('w', 'e/a/1', 10);
    ledger.placed('w', 'e/b/1', 10);
    expect(ledger.free('w', 20)).toBe(0);
    ledger.finished('w', 'x/y/1', 30);
    ledger.finished('w', 'x/z/1', 30);
    ledger.finished('w', 'x/q/1', 30);
    expect(ledger.free('w', 40)).toBe(2);
  });

  it('keeps a started task reserved for settleMs after its RUNNING', () => {
    const ledger = ledgerWith(2, 2);
    ledger.placed('w', 'e/a/1', 0);
    ledger.started('w', 'e/a/1', 100);
    // Too soon after RUNNING: this advert may predate the start, so the reservation stays.
    ledger.advert('w', 2, 2, 600);
    expect(ledger.free('w', 700)).toBe(1);
    // Settled: the worker's advert now shows the task itself.
    ledger.advert('w', 1, 2, 1_200);
    expect(ledger.free('w', 1_300)).toBe(1);
    expect(ledger.reservedOn('w', 1_300)).toBe(0);
  });

  it('trusts an advert unseenMs after placement when this instance never saw the RUNNING', () => {
    const ledger = ledgerWith(2, 2);
    ledger.placed('w', 'e/a/1', 0);
    ledger.advert('w', 1, 2, 2_000);
    expect(ledger.free('w', 2_000)).toBe(0);
    ledger.advert('w', 1, 2, 3_100);
    expect(ledger.free('w', 3_100)).toBe(1);
  });

  it('trusts the latest advert once the time has passed, even when no advert came after it', () => {
    // A sibling instance consumed this task's RUNNING and COMPLETED, and the worker, idle again,
    // has nothing new to advertise: its slots must not stay reserved here until maxAgeMs.
    const ledger = ledgerWith(2, 2);
    ledger.placed('w', 'e/a/1', 0);
    ledger.placed('w', 'e/b/1', 0);
    ledger.started('w', 'e/b/1', 100);
    expect(ledger.free('w', 1_000)).toBe(0);
    expect(ledger.free('w', 1_100)).toBe(1);
    expect(ledger.free('w', 3_000)).toBe(2);
    expect([...ledger.active()]).toEqual([]);
  });

  it('frees the slot of a task that ends before any advert counted it', () => {
    const ledger = ledgerWith(1, 1);
    ledger.placed('w', 'e/a/1', 0);
    ledger.started('w', 'e/a/1', 50);
    expect(ledger.free('w', 60)).toBe(0);
    ledger.finished('w', 'e/a/1', 200);
    expect(ledger.free('w', 210)).toBe(1);
  });

  it('credits a slot freed after an advert counted the task busy, until an advert shows it free', () => {
    const ledger = ledgerWith(1, 1);
    ledger.placed('w', 'e/a/1', 0);
    ledger.started('w', 'e/a/1', 50);
    ledger.advert('w', 0, 1, 1_500);
    expect(ledger.free('w', 1_500)).toBe(0);
    ledger.finished('w', 'e/a/1', 5_000);
    // The latest advert still says 0 free; the terminal event says otherwise.
    expect(ledger.free('w', 5_000)).toBe(1);
    // An advert too soon after the end may predate it: the credit stays.
    ledger.advert('w', 0, 1, 5_500);
    expect(ledger.free('w', 5_500)).toBe(1);
    // A settled advert speaks for itself (here: another task took the slot meanwhile).
    ledger.advert('w', 0, 1, 6_100);
    expect(ledger.free('w', 6_100)).toBe(0);
  });

  it('credits terminal events of tasks placed by another scheduler instance', () => {
    const ledger = ledgerWith(0, 2);
    ledger.finished('w', 'e/sibling/1', 100);
    expect(ledger.free('w', 100)).toBe(1);
  });

  it('lets a credit expire after maxAgeMs when no settled advert comes', () => {
    const ledger = ledgerWith(0, 2);
    ledger.finished('w', 'e/a/1', 10);
    expect(ledger.free('w', 9_000)).toBe(1);
    expect(ledger.free('w', 10_010)).toBe(0);
    expect([...ledger.active()]).toEqual([]);
  });

  it('never keeps a reservation past maxAgeMs, whatever settleMs and unseenMs say', () => {
    const ledger = new ReservationLedger({ settleMs: 20_000, unseenMs: 20_000, maxAgeMs: 10_000 });
    ledger.advert('w', 2, 2, 0);
    ledger.placed('w', 'e/a/1', 0);
    expect(ledger.free('w', 9_000)).toBe(1);
    expect(ledger.free('w', 10_000)).toBe(2);
  });

  it('forgets what it placed when the assignment could not be sent, and workers that left', () => {
    const ledger = ledgerWith(2, 2);
    ledger.placed('w', 'e/a/1', 0);
    ledger.unplaced('w', 'e/a/1');
    expect(ledger.free('w', 1)).toBe(2);
    ledger.forget('w');
    expect(ledger.free('w', 1)).toBeUndefined();
  });
});

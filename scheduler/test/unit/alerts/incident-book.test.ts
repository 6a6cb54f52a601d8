import type { WorkerIncident } from '@wlm/commons/wire';
import { IncidentBook } from '@wlm/scheduler';

function report(
  type: WorkerIncident['type'],
  second: number,
  overrides: Partial<WorkerIncident> = {},
): WorkerIncident {
  return {
    v: 1,
    type,
    workerId: 'w1',
    address: '127.0.0.1:7946',
    detectedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
    source: 'serf',
    reporter: 's1',
    affectedTasks: [],
    ...overrides,
  };
}

describe('IncidentBook', () => {
  it('turns several reports of one failure into one mail', () => {
    const book = new IncidentBook();
    expect(book.decide(report('WORKER_FAILED', 10))).toEqual({ action: 'open' });
    expect(book.decide(report('WORKER_FAILED', 12, { reporter: 's2' }))).toEqual({ action: 'join' });
    const reports = book.closeWindow('w1');
    expect(reports.map((r) => r.reporter)).toEqual(['s1', 's2']);
    // Reports arriving while the mail is being sent wait for it, then find it sent.
    expect(book.decide(report('WORKER_FAILED', 13, { reporter: 's3' }))).toEqual({ action: 'wait' });
    book.failureSettled('w1', true);
    expect(book.decide(report('WORKER_FAILED', 13, { reporter: 's3' }))).toEqual({ action: 'late' });
  });

  it('closes the incident on recovery, once, and opens a new one for the next failure', () => {
    const book = new IncidentBook();
    book.decide(report('WORKER_FAILED', 10));
    book.closeWindow('w1');
    book.failureSettled('w1', true);
    expect(book.failedAt('w1')?.toISOString()).toBe('2026-01-01T00:00:10.000Z');
    expect(book.decide(report('WORKER_RECOVERED', 30))).toEqual({ action: 'recover', failureMailed: true });
    expect(book.decide(report('WORKER_RECOVERED', 30, { reporter: 's2' }))).toEqual({ action: 'wait' });
    book.recoverySettled('w1');
    expect(book.decide(report('WORKER_RECOVERED', 31, { reporter: 's2' }))).toEqual({ action: 'stale' });
    // A failure report delayed past the recovery belongs to the old incident.
    expect(book.decide(report('WORKER_FAILED', 12, { reporter: 's2' }))).toEqual({ action: 'stale' });
    expect(book.decide(report('WORKER_FAILED', 40))).toEqual({ action: 'open' });
  });

  it('makes the recovery wait for a failure still being collected', () => {
    const book = new IncidentBook();
    book.decide(report('WORKER_FAILED', 10));
    expect(book.decide(report('WORKER_RECOVERED', 11))).toEqual({ action: 'wait' });
  });

  it('says when the failure was not mailed (rate limit) or never seen', () => {
    const book = new IncidentBook();
    book.decide(report('WORKER_FAILED', 10));
    book.closeWindow('w1');
    book.failureSettled('w1', false);
    expect(book.decide(report('WORKER_RECOVERED', 20))).toEqual({ action: 'recover', failureMailed: false });
    const fresh = new IncidentBook();
    expect(fresh.decide(report('WORKER_RECOVERED', 20))).toEqual({
      action: 'recover',
      failureMailed: undefined,
    });
    expect(fresh.failedAt('w1')).toBeUndefined();
  });

  it('starts over when a mail could not be sent, so the redelivered reports try again', () => {
    const book = new IncidentBook();
    book.decide(report('WORKER_FAILED', 10));
    book.closeWindow('w1');
    book.failureAbandoned('w1');
    expect(book.decide(report('WORKER_FAILED', 10))).toEqual({ action: 'open' });
    book.closeWindow('w1');
    book.failureSettled('w1', true);
    expect(book.decide(report('WORKER_RECOVERED', 20))).toEqual({ action: 'recover', failureMailed: true });
    book.recoveryAbandoned('w1');
    expect(book.decide(report('WORKER_RECOVERED', 20))).toEqual({ action: 'recover', failureMailed: true });
  });

  it('keeps workers apart and stays bounded', () => {
    const book = new IncidentBook({ maxWorkers: 2 });
    expect(book.decide(report('WORKER_FAILED', 1, { workerId: 'a' })).action).toBe('open');
    expect(book.decide(report('WORKER_FAILED', 1, { workerId: 'b' })).action).toBe('open');
    expect(book.decide(report('WORKER_FAILED', 1, { workerId: 'c' })).action).toBe('open');
    // `a` was forgotten to make room: a new report of it opens again.
    expect(book.decide(report('WORKER_FAILED', 2, { workerId: 'a' })).action).toBe('open');
    expect(book.decide(report('WORKER_FAILED', 2, { workerId: 'c' })).action).toBe('join');
  });
});

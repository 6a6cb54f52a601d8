import type { WorkerIncident } from '@wlm/commons/wire';
import { failureMail, recoveryMail } from '@wlm/scheduler';

const base: WorkerIncident = {
  v: 1,
  type: 'WORKER_FAILED',
  workerId: 'gpu-7',
  address: '10.0.0.7:7946',
  detectedAt: '2026-01-01T00:00:10.000Z',
  source: 'serf',
  reporter: 'sched-a',
  affectedTasks: [
    { experimentId: 'exp-1', run: 1, taskId: 'stage-in', attempt: 1, taskType: 'data-staging' },
  ],
};

describe('admin mails', () => {
  it('names the worker, its address, the time, how it was noticed and the tasks moved, merged across reports', () => {
    const mail = failureMail([
      base,
      {
        ...base,
        reporter: 'sched-b',
        source: 'broker',
        affectedTasks: [
          { experimentId: 'exp-1', run: 1, taskId: 'stage-in', attempt: 1, taskType: 'data-staging' },
          { experimentId: 'exp-2', run: 1, taskId: 'submit', attempt: 2, taskType: 'job-submission' },
        ],
        affectedTaskCount: 5,
      },
    ]);
    expect(mail.subject).toBe('[wlm] worker gpu-7 failed');
    expect(mail.text).toContain('Address:     10.0.0.7:7946');
    expect(mail.text).toContain('Detected at: 2026-01-01T00:00:10.000Z');
    expect(mail.text).toContain('Serf membership (member failed); RabbitMQ (its queue lost its consumer)');
    expect(mail.text).toContain('Reported by: sched-a, sched-b');
    expect(mail.text).toContain(
      'experiment exp-1, task stage-in (data-staging), attempt 1 -> rerun as attempt 2',
    );
    expect(mail.text).toContain('experiment exp-2, task submit (job-submission), attempt 2');
    expect(mail.text).toContain('Affected tasks (5)');
    expect(mail.text).toContain('… and 3 more');
  });

  it('names the incident by its worker and earliest report, in whatever order the reports came', () => {
    const later = { ...base, reporter: 'sched-b', detectedAt: '2026-01-01T00:00:12.000Z' };
    const id = 'wlm.worker-failed.gpu-7.' + String(Date.parse(base.detectedAt));
    expect(failureMail([base, later]).id).toBe(id);
    expect(failureMail([later, base]).id).toBe(id);
    const back = { ...base, type: 'WORKER_RECOVERED' as const, detectedAt: '2026-01-01T00:01:10.000Z' };
    expect(recoveryMail(back, new Date(base.detectedAt))).toMatchObject({
      id: 'wlm.worker-recovered.gpu-7.' + String(Date.parse(base.detectedAt)),
      inReplyTo: id,
    });
    expect(recoveryMail(back, undefined).inReplyTo).toBeUndefined();
  });

  it('says when nothing was affected and when earlier failures were suppressed', () => {
    const mail = failureMail([{ ...base, affectedTasks: [] }], 2);
    expect(mail.text).toContain('Affected tasks: none');
    expect(mail.text).toContain('2 earlier failure(s) of this worker were not mailed');
  });

  it('reports a recovery with the downtime when the failure is known', () => {
    const back = { ...base, type: 'WORKER_RECOVERED' as const, detectedAt: '2026-01-01T00:01:10.000Z' };
    const mail = recoveryMail(back, new Date('2026-01-01T00:00:10.000Z'));
    expect(mail.subject).toBe('[wlm] worker gpu-7 recovered');
    expect(mail.text).toContain('down 60 s');
    expect(recoveryMail(back, undefined).text).not.toContain('Failed at');
  });
});

import type { WorkerEntry } from '@wlm/commons/api';
import { describeLogs, formatWorkers, since } from '../../../src/cli/worker-format';

const NOW = Date.parse('2026-12-03T08:00:00.000Z');

function worker(overrides: Partial<WorkerEntry>): WorkerEntry {
  return {
    workerId: 'w1',
    address: '127.0.0.1:7946',
    state: 'alive',
    reachable: true,
    taskTypes: { echo: '0.1.0', shell: '1.2.0' },
    labels: { site: 'lab' },
    slots: 4,
    slotsInUse: 1,
    failedAt: null,
    updatedAt: '2026-12-03T07:59:50.000Z',
    reportedBy: 's1',
    ...overrides,
  };
}

describe('formatWorkers', () => {
  it('prints one aligned row per worker and the latest incidents', () => {
    const lines = formatWorkers(
      [worker({ workerId: 'w2', state: 'failed', labels: {} }), worker({})],
      [
        {
          workerId: 'w2',
          kind: 'failed',
          source: 'broker',
          at: '2026-12-03T07:59:00.000Z',
          reportedBy: 's1',
        },
      ],
      NOW,
    );
    expect(lines).toEqual([
      'WORKER  STATE   SLOTS  TASK TYPES              LABELS    ADDRESS         SEEN',
      'w2      failed  1/4    echo@0.1.0,shell@1.2.0  -         127.0.0.1:7946  10 s ago',
      'w1      alive   1/4    echo@0.1.0,shell@1.2.0  site=lab  127.0.0.1:7946  10 s ago',
      '',
      'recent incidents:',
      '  2026-12-03T07:59:00.000Z  w2  failed  (broker)',
    ]);
  });

  it('says an alive worker nobody can reach is unreachable, and when there are none', () => {
    expect(formatWorkers([worker({ reachable: false })], [], NOW)[1]).toContain('alive (unreachable)');
    expect(formatWorkers([], [], NOW)[0]).toMatch(/^no workers known/);
  });
});

describe('since', () => {
  it('says how long ago in the largest whole unit', () => {
    expect(since('2026-12-03T07:59:58.000Z', NOW)).toBe('2 s ago');
    expect(since('2026-12-03T07:30:00.000Z', NOW)).toBe('30 min ago');
    expect(since('2026-12-03T02:00:00.000Z', NOW)).toBe('6 h ago');
    expect(since('2026-11-30T08:00:00.000Z', NOW)).toBe('3 d ago');
  });
});

describe('describeLogs', () => {
  const limits = { maxLines: 200 as const, maxBytes: 65536 as const };
  it('names the attempt, the line count and the bound', () => {
    expect(
      describeLogs({
        experimentId: 'e',
        run: 1,
        taskId: 't',
        attempt: 2,
        text: 'a\nb',
        at: '2026-12-03T08:00:00.000Z',
        limits,
      }),
    ).toBe(
      'task t, run 1, attempt 2: the last 2 lines (at most 200 lines or 64 KiB), shipped 2026-12-03T08:00:00.000Z',
    );
    expect(
      describeLogs({ experimentId: 'e', run: 1, taskId: 't', attempt: null, text: '', at: null, limits }),
    ).toBe('task t (run 1) has shipped no log lines yet');
  });
});

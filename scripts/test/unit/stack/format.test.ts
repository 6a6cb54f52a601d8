import { formatMails, formatProgress, formatStatus } from '../../../src/stack/format';
import type { ComponentStatus } from '../../../src/stack/types';

describe('formatStatus', () => {
  const statuses: ComponentStatus[] = [
    { name: 'rabbitmq', state: 'up', address: '127.0.0.1:5672', version: '3.10.8', pid: null },
    { name: 'neo4j', state: 'up', address: '127.0.0.1:7687', version: '5.26.30 community', pid: 4242 },
    { name: 'smtp', state: 'down', address: '127.0.0.1:2525', version: null, pid: null },
  ];
  const lines = formatStatus(statuses);

  it('prints one line per component: name, state, address, version', () => {
    expect(lines).toHaveLength(3);
    expect(lines[0]?.split(/\s+/)).toEqual(['rabbitmq', 'up', '127.0.0.1:5672', '3.10.8', 'external']);
    expect(lines[2]?.split(/\s+/)).toEqual(['smtp', 'down', '127.0.0.1:2525', '-']);
  });

  it('names the PID of what the stack started', () => {
    expect(lines[1]).toMatch(/5\.26\.30 community\s+pid 4242$/);
  });

  it('aligns the columns', () => {
    const addressColumn = lines.map((line) => line.indexOf('127.0.0.1'));
    expect(new Set(addressColumn).size).toBe(1);
  });
});

describe('formatMails', () => {
  it('shows time, sender, recipients and subject', () => {
    const [line] = formatMails([
      {
        id: '1-a',
        from: 'wlm@localhost',
        to: ['admin@localhost', 'ops@localhost'],
        subject: 'worker w1 failed',
        date: '2026-01-02T03:04:05.000Z',
        text: 'body',
        receivedAt: '2026-01-02T03:04:06.789Z',
      },
    ]);
    expect(line).toBe(
      '2026-01-02T03:04:06Z  wlm@localhost -> admin@localhost, ops@localhost  worker w1 failed',
    );
  });

  it('marks an empty sender and subject', () => {
    const [line] = formatMails([
      {
        id: '1-b',
        from: '',
        to: ['a@b'],
        subject: '',
        date: '',
        text: '',
        receivedAt: '2026-01-02T03:04:06.000Z',
      },
    ]);
    expect(line).toContain('<> -> a@b');
    expect(line).toContain('(no subject)');
  });
});

describe('formatProgress', () => {
  it('prefixes the component and appends the elapsed seconds', () => {
    expect(
      formatProgress({ component: 'neo4j', kind: 'waiting', message: 'waiting for x', elapsedMs: 12_400 }),
    ).toBe('neo4j     waiting for x (12 s)');
    expect(formatProgress({ component: 'sshd', kind: 'info', message: 'hello' })).toBe('sshd      hello');
  });
});

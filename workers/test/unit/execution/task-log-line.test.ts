import { formatTaskLogLine } from '../../../src/execution/task-log-line';

const AT = new Date('2026-12-03T07:08:09.123Z');

describe('formatTaskLogLine', () => {
  it('turns a plugin pino line into time, level, message and its own fields', () => {
    const line = JSON.stringify({
      level: 40,
      msg: 'disk almost full',
      experimentId: 'e',
      taskId: 't',
      freeMb: 12,
    });
    expect(formatTaskLogLine('log', line, AT)).toBe('07:08:09.123 WARN disk almost full {"freeMb":12}');
  });

  it('keeps a line that is not JSON as it is', () => {
    expect(formatTaskLogLine('log', 'not json\n', AT)).toBe('07:08:09.123 INFO not json');
  });

  it('prefixes raw output with its stream', () => {
    expect(formatTaskLogLine('stderr', 'Traceback (most recent call last):', AT)).toBe(
      '07:08:09.123 STDERR Traceback (most recent call last):',
    );
  });
});

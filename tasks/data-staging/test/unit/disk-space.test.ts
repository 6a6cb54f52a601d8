import { findShortfall, formatBytes, parseDfOutput } from '../../src/disk-space';

const GiB = 1024 ** 3;

describe('disk space', () => {
  it('reads df -Pk output, one line per directory, volumes by mount point', () => {
    const output = [
      'Filesystem     1024-blocks     Used Available Capacity Mounted on',
      '/dev/vda         264212084 24547564  81843348      24% /',
      'tmpfs                 1024     1000        24      98% /scratch/my tmp',
      'server:/export with space 100 50 50 50% /mnt/nfs',
      '',
    ].join('\n');
    expect(parseDfOutput(output)).toEqual([
      { volume: '/', availableBytes: 81843348 * 1024 },
      { volume: '/scratch/my tmp', availableBytes: 24 * 1024 },
      { volume: '/mnt/nfs', availableBytes: 50 * 1024 },
    ]);
    expect(() => parseDfOutput('header\nnonsense')).toThrow(/unexpected df output line: nonsense/);
  });

  it('sums the needs of the directories on one volume', () => {
    const root = { volume: '/', availableBytes: 10 * GiB };
    const scratch = { volume: '/scratch', availableBytes: 1 * GiB };
    expect(
      findShortfall([
        { dir: '/a', neededBytes: 6 * GiB, space: root },
        { dir: '/scratch/x', neededBytes: 0.5 * GiB, space: scratch },
        { dir: '/b', neededBytes: 4 * GiB, space: root },
      ]),
    ).toBeUndefined();
    expect(
      findShortfall([
        { dir: '/a', neededBytes: 6 * GiB, space: root },
        { dir: '/scratch/x', neededBytes: 0.5 * GiB, space: scratch },
        { dir: '/b', neededBytes: 4 * GiB + 1, space: root },
      ]),
    ).toEqual({ volume: '/', dirs: ['/a', '/b'], neededBytes: 10 * GiB + 1, availableBytes: 10 * GiB });
  });

  it('believes the smallest free space measured on a volume', () => {
    expect(
      findShortfall([
        { dir: '/a', neededBytes: 5, space: { volume: 'v', availableBytes: 10 } },
        { dir: '/b', neededBytes: 5, space: { volume: 'v', availableBytes: 9 } },
      ]),
    ).toEqual({ volume: 'v', dirs: ['/a', '/b'], neededBytes: 10, availableBytes: 9 });
    expect(findShortfall([])).toBeUndefined();
  });

  it('formats sizes for people', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(2 * 1024 * 1024)).toBe('2.00 MiB');
    expect(formatBytes(300 * GiB)).toBe('300.0 GiB');
  });
});

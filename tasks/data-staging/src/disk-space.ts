/** Free space on one filesystem (volume) of one side. */
export interface VolumeSpace {
  /** Names the filesystem, so that directories on the same one are counted together. */
  readonly volume: string;
  readonly availableBytes: number;
}

/** Bytes to write into `dir`, on the volume `space` describes. */
export interface SpaceNeed {
  readonly dir: string;
  readonly neededBytes: number;
  readonly space: VolumeSpace;
}

/** A volume with less free space than the bytes to be written to it. */
export interface SpaceShortfall {
  readonly volume: string;
  readonly dirs: readonly string[];
  readonly neededBytes: number;
  readonly availableBytes: number;
}

/**
 * The first volume (in the order of `needs`) that cannot take the bytes written to it, summing the
 * needs of every directory on it; undefined when all fit.
 */
export function findShortfall(needs: readonly SpaceNeed[]): SpaceShortfall | undefined {
  const byVolume = new Map<string, { dirs: string[]; neededBytes: number; availableBytes: number }>();
  for (const need of needs) {
    const entry = byVolume.get(need.space.volume) ?? {
      dirs: [],
      neededBytes: 0,
      availableBytes: need.space.availableBytes,
    };
    entry.dirs.push(need.dir);
    entry.neededBytes += need.neededBytes;
    // Measured at slightly different times: believe the smallest figure.
    entry.availableBytes = Math.min(entry.availableBytes, need.space.availableBytes);
    byVolume.set(need.space.volume, entry);
  }
  for (const [volume, entry] of byVolume) {
    if (entry.neededBytes > entry.availableBytes) return { volume, ...entry };
  }
  return undefined;
}

/** `df -Pk` data lines: filesystem, 1024-blocks, used, available, capacity, mount point. */
const DF_LINE = /^(.+?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+%|-)\s+(\/.*)$/;

/**
 * The space `df -Pk dir…` reports, one entry per data line in the order of the arguments (POSIX
 * output puts each filesystem on one line); volumes are named by their mount point.
 *
 * @throws Error when a line cannot be read.
 */
export function parseDfOutput(text: string): VolumeSpace[] {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.slice(1).map((line) => {
    const match = DF_LINE.exec(line.trim());
    if (match === null) throw new Error(`unexpected df output line: ${line}`);
    return { volume: match[6] ?? '', availableBytes: Number(match[4]) * 1024 };
  });
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `1.5 MiB`, or `512 B` below one KiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit] ?? ''}`;
}

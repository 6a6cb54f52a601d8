import { posix } from 'node:path';
import { TaskFailure } from '@wlm/commons/plugin';
import type { Logger } from '@wlm/commons/plugin';
import { copyRange, TransferError } from './copy-range';
import {
  diskFullFailure,
  errorCodeOf,
  isDiskFullError,
  SFTP_STATUS,
  STAGING_FAILURE_CODES,
  stagingFailureOf,
} from './staging-errors';
import type { PlannedFile } from './staging-plan';
import { partialPath } from './staging-paths';
import type { StagingSide } from './staging-side';

export interface StagingRunOptions {
  readonly source: StagingSide;
  readonly destination: StagingSide;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Called before each file's copy (0-based index). */
  readonly onFile: (file: PlannedFile, index: number) => void;
  /** Bytes now at the destination: a resumed prefix at once, then chunk by chunk. */
  readonly onBytes: (bytes: number) => void;
  /** Called once every file is copied, before the checksums are compared. */
  readonly onVerify: () => void;
}

/** One file staged. */
export interface StagedFile {
  readonly file: PlannedFile;
  readonly sha256: string;
  /** The bytes of an earlier partial copy kept; 0 when the copy started from the beginning. */
  readonly resumedFrom: number;
}

/** How many mismatching files a checksum failure names. */
const NAMED_MISMATCHES = 3;

/**
 * Copies each planned file to `<destination>.part` — continuing a partial copy whose bytes are a
 * prefix of the source — then compares the SHA-256 of every copy with its source's and only then
 * renames the copies into place (with the sources' permission bits). Hashes are computed a batch at
 * a time, the sources' while the copies run. A stopped run leaves its `.part` files for the next one;
 * on a checksum mismatch the wrong copies are removed and the right ones stay as `.part` files, which
 * the retry keeps without copying them again.
 *
 * @throws TaskFailure (see `STAGING_FAILURE_CODES`), or the signal's reason when aborted.
 */
export async function stageFiles(
  planned: readonly PlannedFile[],
  options: StagingRunOptions,
): Promise<StagedFile[]> {
  const { source, destination, signal } = options;
  const resumedFrom = await resumableBytes(planned, options);
  const hashing = new AbortController();
  const sourceHashes = source.sha256(
    planned.map((file) => ({ path: file.source })),
    AbortSignal.any([signal, hashing.signal]),
  );
  // Awaited after the copies; when a copy fails first the hashes are abandoned, their rejection with them.
  sourceHashes.catch(() => undefined);
  try {
    for (const [index, file] of planned.entries()) {
      options.onFile(file, index);
      const offset = resumedFrom[index] ?? 0;
      if (offset > 0) options.onBytes(offset);
      await copyFile(file, offset, options);
    }
  } catch (error) {
    hashing.abort();
    throw error;
  }
  options.onVerify();
  const expected = await step(signal, `hashing the sources ${source.where}`, () => sourceHashes);
  const actual = await step(signal, `hashing the copies ${destination.where}`, () =>
    destination.sha256(
      planned.map((file) => ({ path: partialPath(file.destination) })),
      signal,
    ),
  );
  await failOnMismatch(planned, expected, actual, options);
  await step(signal, `moving the copies into place ${destination.where}`, async () => {
    for (const file of planned) {
      const part = partialPath(file.destination);
      await destination.setMode(part, file.mode & 0o777);
      await destination.rename(part, file.destination);
    }
  });
  return planned.map((file, index) => ({
    file,
    sha256: actual[index] ?? '',
    resumedFrom: resumedFrom[index] ?? 0,
  }));
}

/**
 * How many bytes of each partial copy to keep: all of them when they are a prefix of the source
 * (hashed on both sides), none when they are not or when the partial copy is longer than the source.
 */
async function resumableBytes(
  planned: readonly PlannedFile[],
  options: StagingRunOptions,
): Promise<number[]> {
  const { source, destination, signal } = options;
  const candidates = planned.filter((file) => file.partialSize > 0 && file.partialSize <= file.size);
  if (candidates.length === 0) return planned.map(() => 0);
  const [sourcePrefixes, partialPrefixes] = await step(
    signal,
    'comparing partial copies with their sources',
    () =>
      Promise.all([
        source.sha256(
          candidates.map((file) => ({ path: file.source, length: file.partialSize })),
          signal,
        ),
        destination.sha256(
          candidates.map((file) => ({ path: partialPath(file.destination), length: file.partialSize })),
          signal,
        ),
      ]),
  );
  const kept = new Map<PlannedFile, number>();
  candidates.forEach((file, index) => {
    const matches = sourcePrefixes[index] === partialPrefixes[index];
    options.logger.info(
      { part: partialPath(file.destination), bytes: file.partialSize },
      matches ? 'resuming a partial copy' : 'the partial copy is not a prefix of the source; starting over',
    );
    if (matches) kept.set(file, file.partialSize);
  });
  return planned.map((file) => kept.get(file) ?? 0);
}

/** Copies the file from `offset` on into its `.part`. */
async function copyFile(file: PlannedFile, offset: number, options: StagingRunOptions): Promise<void> {
  const { source, destination, signal, logger } = options;
  const part = partialPath(file.destination);
  try {
    const reader = await source.openRead(file.source).catch((error: unknown) => {
      throw new TransferError('read', 0, error);
    });
    try {
      const writer = await destination.openWrite(part, offset === 0).catch((error: unknown) => {
        throw new TransferError('write', offset, error);
      });
      try {
        await copyRange({ reader, writer, start: offset, end: file.size, signal, onBytes: options.onBytes });
      } finally {
        await writer
          .close()
          .catch((error: unknown) => logger.debug({ err: error, part }, 'closing the copy failed'));
      }
    } finally {
      await reader
        .close()
        .catch((error: unknown) => logger.debug({ err: error }, 'closing the source failed'));
    }
  } catch (error) {
    throw await copyFailure(error, file, options);
  }
}

/** Why the copy failed, as a TaskFailure; a write that failed for want of space is `STAGING_DISK_FULL`. */
async function copyFailure(error: unknown, file: PlannedFile, options: StagingRunOptions): Promise<unknown> {
  const { source, destination, signal } = options;
  if (signal.aborted || !(error instanceof TransferError)) return error;
  if (error.phase === 'read') return stagingFailureOf(error.cause, `reading ${file.source} ${source.where}`);
  const part = partialPath(file.destination);
  const action = `writing ${part} ${destination.where}`;
  if (isDiskFullError(error.cause)) return stagingFailureOf(error.cause, action);
  if (errorCodeOf(error.cause) === SFTP_STATUS.FAILURE) {
    // OpenSSH's SFTP server answers a full disk with a bare "Failure": ask the filesystem.
    const remaining = file.size - error.position;
    const dir = posix.dirname(file.destination);
    const [space] = await destination.freeSpace([dir], signal).catch(() => []);
    if (space !== undefined && space.availableBytes < remaining) {
      return diskFullFailure(
        `${destination.where} in ${dir} (filesystem ${space.volume}) while writing ${part}`,
        space.availableBytes,
        remaining,
        error.cause,
      );
    }
  }
  return stagingFailureOf(error.cause, action);
}

/** Removes the copies whose hash differs from their source's and fails naming them (retryable). */
async function failOnMismatch(
  planned: readonly PlannedFile[],
  expected: readonly string[],
  actual: readonly string[],
  options: StagingRunOptions,
): Promise<void> {
  const wrong = planned.filter((_file, index) => expected[index] !== actual[index]);
  if (wrong.length === 0) return;
  for (const file of wrong) {
    await options.destination.remove(partialPath(file.destination)).catch((error: unknown) => {
      options.logger.warn(
        { err: error, file: file.destination },
        'could not remove a copy with a wrong checksum',
      );
    });
  }
  const named = wrong
    .slice(0, NAMED_MISMATCHES)
    .map((file) => {
      const index = planned.indexOf(file);
      return `${file.source} → ${file.destination} (source sha256 ${expected[index]}, copy ${actual[index]})`;
    })
    .join('; ');
  const more = wrong.length > NAMED_MISMATCHES ? ` and ${wrong.length - NAMED_MISMATCHES} more` : '';
  throw TaskFailure.retryable(
    STAGING_FAILURE_CODES.CHECKSUM_MISMATCH,
    `${wrong.length} cop${wrong.length === 1 ? 'y differs' : 'ies differ'} from the source ` +
      `${options.destination.where}: ${named}${more}; the wrong copies were removed, a retry copies them again`,
  );
}

/** Runs `work`, turning what it throws into a TaskFailure about `action` (an abort stays an abort). */
async function step<T>(signal: AbortSignal, action: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (signal.aborted) throw error;
    throw stagingFailureOf(error, action);
  }
}

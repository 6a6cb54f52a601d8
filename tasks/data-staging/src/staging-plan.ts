import { posix } from 'node:path';
import { TaskFailure } from '@wlm/commons/plugin';
import { findShortfall } from './disk-space';
import type { VolumeSpace } from './disk-space';
import { diskFullFailure, messageOf, STAGING_FAILURE_CODES } from './staging-errors';
import { isDirectoryDestination, sourcePattern } from './source-pattern';
import type { StagedFileSpec } from './staging-params';
import { destinationFor, partialPath } from './staging-paths';
import { StagingConfinement } from './staging-confinement';
import type { StagingSide } from './staging-side';

/** One file to copy, with what the plan found out about both ends. */
export interface PlannedFile {
  /** Absolute, on the source side. */
  readonly source: string;
  /** Absolute, on the destination side. */
  readonly destination: string;
  readonly size: number;
  readonly mode: number;
  /** The size of `<destination>.part` left by an earlier attempt; 0 when there is none. */
  readonly partialSize: number;
}

export interface PlanOptions {
  readonly files: readonly StagedFileSpec[];
  readonly source: StagingSide;
  readonly destination: StagingSide;
  readonly signal: AbortSignal;
}

/** Stat requests sent at once: enough to hide the round trip, few enough not to flood the server. */
const STAT_CONCURRENCY = 16;

/**
 * Everything that can be checked before a byte moves: expands the sources (each must exist, each glob
 * must match), computes the destinations (no two alike, none an existing directory), creates the
 * destination directories and checks that their filesystems have room for what is left to copy.
 *
 * @throws TaskFailure `STAGING_SOURCE_MISSING`, `STAGING_SOURCE_NOT_A_FILE`,
 * `STAGING_DESTINATION_INVALID`, `STAGING_DISK_FULL` (none retryable).
 */
export async function planStaging(options: PlanOptions): Promise<PlannedFile[]> {
  const { source, destination, signal } = options;
  const sourceConfinement = new StagingConfinement(source);
  const destinationConfinement = new StagingConfinement(destination);
  const pairs: Pair[] = [];
  for (const [index, spec] of options.files.entries()) {
    const sourceField = `files[${index}].source`;
    const sources = await expandSource(source, spec.source, sourceField, sourceConfinement, signal);
    const directory = isDirectoryDestination(spec.destination);
    const target = destination.resolve(spec.destination);
    // A match may be a link leading out of the roots.
    await mapLimit(sources, (file) => sourceConfinement.check(file, sourceField));
    for (const file of sources) {
      pairs.push({
        source: file,
        destination: destinationFor(file, target, directory),
        field: `files[${index}].destination`,
      });
    }
  }
  const unique = distinct(pairs, destination);
  // Before any directory is created: the destination and the partial copy beside it (a link there
  // would send the bytes elsewhere).
  await mapLimit(unique, async (pair) => {
    await destinationConfinement.check(pair.destination, pair.field);
    await destinationConfinement.check(partialPath(pair.destination), pair.field);
  });
  const sourceFacts = await mapLimit(unique, (pair) => source.stat(pair.source));
  const dirs = [...new Set(unique.map((pair) => posix.dirname(pair.destination)))];
  const spaces = await prepareDirectories(destination, dirs, signal);
  const [destinationFacts, partialFacts] = await Promise.all([
    mapLimit(unique, (pair) => destination.stat(pair.destination)),
    mapLimit(unique, (pair) => destination.stat(partialPath(pair.destination))),
  ]);
  const planned = unique.map((pair, index): PlannedFile => {
    const facts = sourceFacts[index];
    if (facts?.kind !== 'file') {
      // Found a moment ago by expandSource: it vanished or changed since.
      throw TaskFailure.nonRetryable(
        STAGING_FAILURE_CODES.SOURCE_MISSING,
        `source ${pair.source} is no longer a file ${source.where}`,
      );
    }
    if (destinationFacts[index]?.kind === 'directory') {
      throw TaskFailure.nonRetryable(
        STAGING_FAILURE_CODES.DESTINATION_INVALID,
        `destination ${pair.destination} is a directory ${destination.where}; ` +
          'end the destination with "/" to stage into it',
      );
    }
    const partial = partialFacts[index];
    return {
      ...pair,
      size: facts.size,
      mode: facts.mode,
      partialSize: partial?.kind === 'file' ? partial.size : 0,
    };
  });
  checkSpace(planned, dirs, spaces, destination);
  return planned;
}

/** The absolute source files `spec` names: the file itself, or a glob's matches. */
async function expandSource(
  side: StagingSide,
  spec: string,
  field: string,
  confinement: StagingConfinement,
  signal: AbortSignal,
): Promise<string[]> {
  const path = side.resolve(spec);
  const pattern = sourcePattern(spec);
  // Nothing outside the roots is even looked at, a directory listing included.
  await confinement.check(pattern.glob ? posix.dirname(path) : path, field);
  if (pattern.glob) {
    const dir = posix.dirname(path);
    const matches = await side.expandGlob(dir, pattern.name, signal);
    if (matches.length === 0) {
      throw TaskFailure.nonRetryable(
        STAGING_FAILURE_CODES.SOURCE_MISSING,
        `no file matches the source "${spec}" ${side.where} (${dir}/${pattern.name})`,
      );
    }
    return matches;
  }
  const facts = await side.stat(path);
  if (facts === undefined) {
    throw TaskFailure.nonRetryable(
      STAGING_FAILURE_CODES.SOURCE_MISSING,
      `source ${path} does not exist ${side.where}`,
    );
  }
  if (facts.kind !== 'file') {
    throw TaskFailure.nonRetryable(
      STAGING_FAILURE_CODES.SOURCE_NOT_A_FILE,
      `source ${path} ${side.where} is ${facts.kind === 'directory' ? 'a directory' : 'not a regular file'}; ` +
        (facts.kind === 'directory'
          ? `stage its files with a glob such as "${spec}/*"`
          : 'stage regular files only'),
    );
  }
  return [path];
}

interface Pair {
  readonly source: string;
  readonly destination: string;
  /** The param the destination comes from, e.g. `files[0].destination`. */
  readonly field: string;
}

/** `pairs` without repeats; two sources for one destination fail. */
function distinct(pairs: readonly Pair[], side: StagingSide): Pair[] {
  const sourceOf = new Map<string, string>();
  const unique: Pair[] = [];
  for (const pair of pairs) {
    const earlier = sourceOf.get(pair.destination);
    if (earlier === pair.source) continue;
    if (earlier !== undefined) {
      throw TaskFailure.nonRetryable(
        STAGING_FAILURE_CODES.DESTINATION_INVALID,
        `${earlier} and ${pair.source} would both be staged to ${pair.destination} ${side.where}; ` +
          'give them different destinations',
      );
    }
    sourceOf.set(pair.destination, pair.source);
    unique.push(pair);
  }
  return unique;
}

/** Creates the destination directories and measures their free space. */
async function prepareDirectories(
  side: StagingSide,
  dirs: readonly string[],
  signal: AbortSignal,
): Promise<VolumeSpace[]> {
  try {
    return await side.prepareDirectories(dirs, signal);
  } catch (error) {
    if (signal.aborted) throw error;
    throw TaskFailure.nonRetryable(
      STAGING_FAILURE_CODES.DESTINATION_INVALID,
      `cannot create the destination directories ${dirs.join(', ')} ${side.where}: ${messageOf(error)}`,
      error,
    );
  }
}

/**
 * Fails when a destination filesystem has less room than what is left to copy to it: a partial file
 * already holds its bytes (whether it is resumed or truncated and written again).
 */
function checkSpace(
  planned: readonly PlannedFile[],
  dirs: readonly string[],
  spaces: readonly VolumeSpace[],
  side: StagingSide,
): void {
  const neededByDir = new Map<string, number>();
  for (const file of planned) {
    const dir = posix.dirname(file.destination);
    const needed = file.size - Math.min(file.partialSize, file.size);
    neededByDir.set(dir, (neededByDir.get(dir) ?? 0) + needed);
  }
  const shortfall = findShortfall(
    dirs.flatMap((dir, index) => {
      const space = spaces[index];
      return space === undefined ? [] : [{ dir, neededBytes: neededByDir.get(dir) ?? 0, space }];
    }),
  );
  if (shortfall !== undefined) {
    throw diskFullFailure(
      `${side.where} in ${shortfall.dirs.join(', ')} (filesystem ${shortfall.volume})`,
      shortfall.availableBytes,
      shortfall.neededBytes,
    );
  }
}

/** `fn` over `items`, at most {@link STAT_CONCURRENCY} at a time, results in order. */
async function mapLimit<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const work = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, items.length) }, work));
  return results;
}

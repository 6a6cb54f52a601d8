import type { PathRoots } from '@wlm/commons/remote';
import type { VolumeSpace } from './disk-space';

/** What a staging side knows of a path. */
export interface FileFacts {
  readonly kind: 'file' | 'directory' | 'other';
  readonly size: number;
  /** Permission bits (`0o755`), kept on the copy so a staged script stays executable. */
  readonly mode: number;
}

/** A file to hash: all of it, or its first `length` bytes. */
export interface HashRequest {
  readonly path: string;
  readonly length?: number;
}

/** Reads a file at any position; several reads may be in flight. */
export interface RandomAccessReader {
  /** Fills `buffer` from `position` as far as it can; resolves with the bytes read (0 at the end). */
  read(buffer: Buffer, position: number): Promise<number>;
  close(): Promise<void>;
}

/** Writes a file at any position; several writes may be in flight. */
export interface RandomAccessWriter {
  write(buffer: Buffer, position: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * One end of a transfer — the worker's disk or the compute resource — so that the staging logic is
 * written once for both directions. Paths are absolute and resolved.
 */
export interface StagingSide {
  /** For messages: `on the worker (host)` or `on compute resource "hpc"`. */
  readonly where: string;
  /** The directories every path of a transfer must lie in on this side, links resolved. */
  readonly roots: PathRoots;
  /** The path with every symbolic link resolved; undefined when nothing is at `path`. */
  realpath(path: string): Promise<string | undefined>;
  /** Makes a param path absolute: relative paths start at the run directory (on the resource only). */
  resolve(path: string): string;
  /** Undefined when nothing is at `path`. */
  stat(path: string): Promise<FileFacts | undefined>;
  /** The regular files in `dir` matching the glob `pattern`, sorted; none when `dir` is missing. */
  expandGlob(dir: string, pattern: string, signal: AbortSignal): Promise<string[]>;
  /**
   * Creates the directories and their parents (existing ones are fine) and measures the free space
   * of their filesystems, in the order of `dirs` — one round trip on the resource.
   */
  prepareDirectories(dirs: readonly string[], signal: AbortSignal): Promise<VolumeSpace[]>;
  /** The free space of each (existing) directory's filesystem, in the order of `dirs`. */
  freeSpace(dirs: readonly string[], signal: AbortSignal): Promise<VolumeSpace[]>;
  /**
   * The lower-case hex SHA-256 of each file (or prefix), in order — several files per remote
   * command, since a command costs a round trip and a shell start-up on the resource.
   */
  sha256(requests: readonly HashRequest[], signal: AbortSignal): Promise<string[]>;
  openRead(path: string): Promise<RandomAccessReader>;
  /** Opens for writing, created when missing; `truncate` empties it, else its bytes stay for a resume. */
  openWrite(path: string, truncate: boolean): Promise<RandomAccessWriter>;
  /** Renames over an existing `to`. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; a missing one is fine. */
  remove(path: string): Promise<void>;
  setMode(path: string, mode: number): Promise<void>;
}

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, readdir, realpath, rename, rm, stat, statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { PathRoots } from '@wlm/commons/remote';
import type { VolumeSpace } from './disk-space';
import { globMatcher } from './source-pattern';
import { isMissingError } from './staging-errors';
import type {
  FileFacts,
  HashRequest,
  RandomAccessReader,
  RandomAccessWriter,
  StagingSide,
} from './staging-side';

/** The worker's own disk: the orchestrating side of a transfer. Paths must be absolute. */
export class LocalSide implements StagingSide {
  readonly where = `on the worker (${hostname()})`;

  /** `roots`: the worker's `staging.localRoots`. */
  constructor(readonly roots: PathRoots) {}

  async realpath(path: string): Promise<string | undefined> {
    try {
      return await realpath(path);
    } catch (error) {
      if (isMissingError(error)) return undefined;
      throw error;
    }
  }

  resolve(path: string): string {
    // The params schema requires absolute local paths: the worker's working directory means nothing to users.
    if (!isAbsolute(path)) throw new TypeError(`expected an absolute path on the worker: ${path}`);
    return resolve(path);
  }

  async stat(path: string): Promise<FileFacts | undefined> {
    try {
      const facts = await stat(path);
      const kind = facts.isFile() ? 'file' : facts.isDirectory() ? 'directory' : 'other';
      return { kind, size: facts.size, mode: facts.mode & 0o7777 };
    } catch (error) {
      if (isMissingError(error)) return undefined;
      throw error;
    }
  }

  /** Matches like the resource's shell (see `globMatcher`), so a glob means the same on both sides. */
  async expandGlob(dir: string, pattern: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (isMissingError(error)) return [];
      throw error;
    }
    const matcher = globMatcher(pattern);
    const candidates = names.filter((name) => matcher.test(name)).map((name) => join(dir, name));
    // Regular files, symbolic links to them included, as the shell's `[ -f "$f" ]`.
    const facts = await Promise.all(candidates.map((path) => this.stat(path)));
    return candidates.filter((_path, index) => facts[index]?.kind === 'file').sort();
  }

  async prepareDirectories(dirs: readonly string[]): Promise<VolumeSpace[]> {
    for (const dir of dirs) await mkdir(dir, { recursive: true });
    return this.freeSpace(dirs);
  }

  async freeSpace(dirs: readonly string[]): Promise<VolumeSpace[]> {
    return Promise.all(
      dirs.map(async (dir) => {
        const [space, facts] = await Promise.all([statfs(dir), stat(dir)]);
        return { volume: `device ${facts.dev}`, availableBytes: space.bavail * space.bsize };
      }),
    );
  }

  async sha256(requests: readonly HashRequest[], signal: AbortSignal): Promise<string[]> {
    const hashes: string[] = [];
    for (const { path, length } of requests) {
      const hash = createHash('sha256');
      if (length !== 0) {
        const range = length === undefined ? {} : { start: 0, end: length - 1 };
        for await (const chunk of createReadStream(path, { ...range, signal })) hash.update(chunk as Buffer);
      }
      hashes.push(hash.digest('hex'));
    }
    return hashes;
  }

  async openRead(path: string): Promise<RandomAccessReader> {
    const handle = await open(path, 'r');
    return {
      read: async (buffer, position) => (await handle.read(buffer, 0, buffer.length, position)).bytesRead,
      close: () => handle.close(),
    };
  }

  async openWrite(path: string, truncate: boolean): Promise<RandomAccessWriter> {
    // 'r+' fails on a missing file; the caller truncates (creates) whenever there is nothing to resume.
    const handle = await open(path, truncate ? 'w' : 'r+');
    return {
      write: async (buffer, position) => {
        let written = 0;
        while (written < buffer.length) {
          const { bytesWritten } = await handle.write(
            buffer,
            written,
            buffer.length - written,
            position + written,
          );
          written += bytesWritten;
        }
      },
      close: () => handle.close(),
    };
  }

  rename(from: string, to: string): Promise<void> {
    return rename(from, to);
  }

  async remove(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  setMode(path: string, mode: number): Promise<void> {
    return chmod(path, mode);
  }
}

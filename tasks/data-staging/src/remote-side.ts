import { shellQuote } from '@wlm/commons/remote';
import type { PathRoots, SshConnection } from '@wlm/commons/remote';
import { parseDfOutput } from './disk-space';
import type { VolumeSpace } from './disk-space';
import { remoteGlobCommand } from './source-pattern';
import { isMissingError } from './staging-errors';
import { resolveUnder } from './staging-paths';
import type {
  FileFacts,
  HashRequest,
  RandomAccessReader,
  RandomAccessWriter,
  StagingSide,
} from './staging-side';

/** The connection's SFTP channel (ssh2's `SFTPWrapper`), named through the commons API. */
type Sftp = Awaited<ReturnType<SshConnection['sftp']>>;
type Callback<T> = (error: Error | null | undefined, value: T) => void;

/** Calls a callback-style SFTP method as a promise. */
function call<T = void>(method: (callback: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    method((error, value) => (error ? reject(error) : resolve(value)));
  });
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const SHA256_LINE = /^([0-9a-f]{64})\s/;
/** Keeps each hashing command well under what an SSH exec request and the remote shell accept. */
const MAX_BATCH_CHARS = 32 * 1024;

/**
 * One line of shell printing the file's (or prefix's) hash, or `-` when the file cannot be read;
 * the file is read on stdin so that `sha256sum` prints no name (names may hold newlines).
 */
function hashCommand({ path, length }: HashRequest): string {
  const file = shellQuote(path);
  return length === undefined
    ? `{ sha256sum < ${file} || echo -; } 2>/dev/null`
    : `{ head -c ${length} < ${file} | sha256sum; } 2>/dev/null`;
}

/** `lines` in groups of at most {@link MAX_BATCH_CHARS} characters (at least one line each). */
function commandBatches(lines: readonly string[]): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  for (const line of lines) {
    if (current.length > 0 && chars + line.length > MAX_BATCH_CHARS) {
      batches.push(current);
      current = [];
      chars = 0;
    }
    current.push(line);
    chars += line.length + 1;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * The compute resource's disk: files through the connection's SFTP channel, globs, hashes and free
 * space through its shell (`sha256sum`, `head -c`, `df -Pk`: GNU coreutils or any POSIX system with
 * them). Relative paths start at the run directory.
 */
export class RemoteSide implements StagingSide {
  readonly where: string;

  constructor(
    private readonly ssh: SshConnection,
    private readonly sftp: Sftp,
    private readonly runDir: string,
    readonly roots: PathRoots,
  ) {
    this.where = `on compute resource "${ssh.resource.name}"`;
  }

  async realpath(path: string): Promise<string | undefined> {
    try {
      return await call<string>((done) => this.sftp.realpath(path, done));
    } catch (error) {
      // OpenSSH answers a missing path with "No such file"; the caller then asks about its parent.
      if (isMissingError(error)) return undefined;
      throw error;
    }
  }

  resolve(path: string): string {
    return resolveUnder(this.runDir, path);
  }

  async stat(path: string): Promise<FileFacts | undefined> {
    try {
      const { mode, size } = await call<{ mode: number; size: number }>((done) => this.sftp.stat(path, done));
      const type = mode & S_IFMT;
      const kind = type === S_IFREG ? 'file' : type === S_IFDIR ? 'directory' : 'other';
      return { kind, size, mode: mode & 0o7777 };
    } catch (error) {
      if (isMissingError(error)) return undefined;
      throw error;
    }
  }

  async expandGlob(dir: string, pattern: string, signal: AbortSignal): Promise<string[]> {
    const found = await this.ssh.run(remoteGlobCommand(dir, pattern), { signal });
    return found
      .split('\0')
      .filter((path) => path !== '')
      .sort();
  }

  async prepareDirectories(dirs: readonly string[], signal: AbortSignal): Promise<VolumeSpace[]> {
    if (dirs.length === 0) return [];
    const quoted = dirs.map(shellQuote).join(' ');
    return this.parseSpace(
      dirs,
      await this.ssh.run(`mkdir -p -- ${quoted} && df -Pk -- ${quoted}`, { signal }),
    );
  }

  async freeSpace(dirs: readonly string[], signal: AbortSignal): Promise<VolumeSpace[]> {
    if (dirs.length === 0) return [];
    return this.parseSpace(
      dirs,
      await this.ssh.run(`df -Pk -- ${dirs.map(shellQuote).join(' ')}`, { signal }),
    );
  }

  private parseSpace(dirs: readonly string[], output: string): VolumeSpace[] {
    const spaces = parseDfOutput(output);
    if (spaces.length !== dirs.length) {
      throw new Error(`df reported ${spaces.length} filesystems for ${dirs.length} directories:\n${output}`);
    }
    return spaces;
  }

  async sha256(requests: readonly HashRequest[], signal: AbortSignal): Promise<string[]> {
    const hashes: string[] = [];
    for (const batch of commandBatches(requests.map(hashCommand))) {
      const output = await this.ssh.run(batch.join('\n'), { signal });
      const lines = output.split('\n').filter((line) => line !== '');
      if (lines.length !== batch.length) {
        throw new Error(`sha256sum printed ${lines.length} lines for ${batch.length} files:\n${output}`);
      }
      for (const line of lines) {
        const request = requests[hashes.length];
        const hash = SHA256_LINE.exec(line)?.[1];
        if (hash === undefined) {
          throw new Error(
            `cannot hash ${request?.path ?? 'a file'} ${this.where}: it is missing or unreadable, ` +
              'or sha256sum is not installed',
          );
        }
        hashes.push(hash);
      }
    }
    return hashes;
  }

  async openRead(path: string): Promise<RandomAccessReader> {
    const sftp = this.sftp;
    const handle = await call<Buffer>((done) => sftp.open(path, 'r', done));
    return {
      read: (buffer, position) =>
        call<number>((done) => sftp.read(handle, buffer, 0, buffer.length, position, done)),
      close: () => call((done) => sftp.close(handle, (error) => done(error, undefined))),
    };
  }

  async openWrite(path: string, truncate: boolean): Promise<RandomAccessWriter> {
    const sftp = this.sftp;
    const handle = await call<Buffer>((done) => sftp.open(path, truncate ? 'w' : 'r+', done));
    return {
      // ssh2 splits a write larger than the server's maximum into several requests.
      write: (buffer, position) =>
        call((done) =>
          sftp.write(handle, buffer, 0, buffer.length, position, (error) => done(error, undefined)),
        ),
      close: () => call((done) => sftp.close(handle, (error) => done(error, undefined))),
    };
  }

  async rename(from: string, to: string): Promise<void> {
    const sftp = this.sftp;
    // posix-rename@openssh.com replaces `to`; plain SFTP rename refuses when it exists.
    const replaced = await new Promise<boolean>((resolve, reject) => {
      try {
        sftp.ext_openssh_rename(from, to, (error) => (error ? reject(error) : resolve(true)));
      } catch {
        // ssh2 throws before sending anything when the server lacks the extension.
        resolve(false);
      }
    });
    if (replaced) return;
    await this.remove(to);
    await call((done) => sftp.rename(from, to, (error) => done(error, undefined)));
  }

  async remove(path: string): Promise<void> {
    try {
      await call((done) => this.sftp.unlink(path, (error) => done(error, undefined)));
    } catch (error) {
      if (!isMissingError(error)) throw error;
    }
  }

  setMode(path: string, mode: number): Promise<void> {
    return call((done) => this.sftp.chmod(path, mode, (error) => done(error, undefined)));
  }
}

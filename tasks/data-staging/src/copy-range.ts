import { messageOf } from './staging-errors';
import type { RandomAccessReader, RandomAccessWriter } from './staging-side';

/** 64 KiB chunks, 16 in flight: 1 MiB on the wire hides the round trip of SFTP's request/response. */
const DEFAULT_CHUNK_BYTES = 64 * 1024;
const DEFAULT_CONCURRENCY = 16;
/** After an abort, chunks already in flight get this long to land, so the partial file has no holes. */
const ABORT_GRACE_MS = 2_000;

/** Reading the source or writing the destination failed at `position`; `cause` is the I/O error. */
export class TransferError extends Error {
  override readonly name = 'TransferError';

  constructor(
    readonly phase: 'read' | 'write',
    readonly position: number,
    cause: unknown,
  ) {
    super(`${phase} at byte ${position} failed: ${messageOf(cause)}`, { cause });
  }
}

export interface CopyRangeOptions {
  readonly reader: RandomAccessReader;
  readonly writer: RandomAccessWriter;
  /** Copies bytes `[start, end)`, each to the same position in the destination. */
  readonly start: number;
  readonly end: number;
  readonly signal: AbortSignal;
  /** Called as each chunk lands, with its size. */
  readonly onBytes: (bytes: number) => void;
  readonly chunkBytes?: number;
  readonly concurrency?: number;
}

/**
 * Copies a byte range with several chunks in flight. Chunks are taken in order and every chunk taken
 * is finished before the copy stops (on abort or failure), so what a stopped copy leaves is a prefix
 * of the source that a later copy can resume from — unless a write itself failed.
 *
 * @throws TransferError, or the signal's reason when aborted.
 */
export async function copyRange(options: CopyRangeOptions): Promise<void> {
  const { reader, writer, end, signal } = options;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  let next = options.start;
  let failure: TransferError | undefined;

  const copyChunks = async (): Promise<void> => {
    while (failure === undefined && !signal.aborted && next < end) {
      const position = next;
      const buffer = Buffer.allocUnsafe(Math.min(chunkBytes, end - position));
      next += buffer.length;
      try {
        await readFully(reader, buffer, position);
      } catch (error) {
        failure ??= new TransferError('read', position, error);
        return;
      }
      try {
        await writer.write(buffer, position);
      } catch (error) {
        failure ??= new TransferError('write', position, error);
        return;
      }
      options.onBytes(buffer.length);
    }
  };

  const workers = Array.from({ length: Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY) }, copyChunks);
  await settledOrAbortGrace(Promise.all(workers), signal);
  signal.throwIfAborted();
  if (failure !== undefined) throw failure;
}

async function readFully(reader: RandomAccessReader, buffer: Buffer, position: number): Promise<void> {
  let filled = 0;
  while (filled < buffer.length) {
    const target = filled === 0 ? buffer : buffer.subarray(filled);
    const bytes = await reader.read(target, position + filled);
    if (bytes === 0)
      throw new Error(`the source ended at byte ${position + filled}: it shrank during the transfer`);
    filled += bytes;
  }
}

/** Resolves when `work` settles, or {@link ABORT_GRACE_MS} after `signal` aborts, whichever is first. */
function settledOrAbortGrace(work: Promise<unknown>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      timer = setTimeout(done, ABORT_GRACE_MS);
    };
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve();
    }
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(done, done);
  });
}

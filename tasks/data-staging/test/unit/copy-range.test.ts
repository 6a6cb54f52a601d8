import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { copyRange, TransferError } from '../../src/copy-range';
import type { RandomAccessReader, RandomAccessWriter } from '../../src/staging-side';

/** An in-memory file that answers reads in short pieces, after a delay, like a remote one. */
function memoryReader(data: Buffer, pieceBytes = 1000): RandomAccessReader {
  return {
    read: async (buffer, position) => {
      await sleep(1);
      const piece = data.subarray(
        position,
        Math.min(data.length, position + Math.min(pieceBytes, buffer.length)),
      );
      piece.copy(buffer);
      return piece.length;
    },
    close: async () => undefined,
  };
}

function memoryWriter(size: number, failAt?: number): RandomAccessWriter & { data: Buffer; written: number } {
  const sink = {
    data: Buffer.alloc(size),
    written: 0,
    write: async (buffer: Buffer, position: number) => {
      await sleep(2);
      if (failAt !== undefined && position >= failAt)
        throw Object.assign(new Error('No space'), { code: 'ENOSPC' });
      buffer.copy(sink.data, position);
      sink.written = Math.max(sink.written, position + buffer.length);
    },
    close: async () => undefined,
  };
  return sink;
}

describe('copyRange', () => {
  const source = randomBytes(300_000);

  it('copies a range with several chunks in flight, counting each chunk', async () => {
    const writer = memoryWriter(source.length);
    const counted: number[] = [];
    await copyRange({
      reader: memoryReader(source),
      writer,
      start: 100_000,
      end: source.length,
      signal: new AbortController().signal,
      onBytes: (bytes) => counted.push(bytes),
      chunkBytes: 16_384,
      concurrency: 4,
    });
    expect(writer.data.subarray(100_000).equals(source.subarray(100_000))).toBe(true);
    expect(writer.data.subarray(0, 100_000).every((byte) => byte === 0)).toBe(true);
    expect(counted.reduce((a, b) => a + b, 0)).toBe(200_000);
  });

  it('stops on abort leaving a prefix of the source, then rejects with the reason', async () => {
    const writer = memoryWriter(source.length);
    const controller = new AbortController();
    let landed = 0;
    const copying = copyRange({
      reader: memoryReader(source),
      writer,
      start: 0,
      end: source.length,
      signal: controller.signal,
      onBytes: (bytes) => {
        landed += bytes;
        if (landed >= 50_000) controller.abort(new Error('stop'));
      },
      chunkBytes: 8192,
      concurrency: 4,
    });
    await expect(copying).rejects.toThrow('stop');
    expect(writer.written).toBeGreaterThanOrEqual(50_000);
    expect(writer.written).toBeLessThan(source.length);
    expect(writer.data.subarray(0, writer.written).equals(source.subarray(0, writer.written))).toBe(true);
  });

  it('reports a failed write with its phase and position', async () => {
    const error = await copyRange({
      reader: memoryReader(source),
      writer: memoryWriter(source.length, 65_536),
      start: 0,
      end: source.length,
      signal: new AbortController().signal,
      onBytes: () => undefined,
      chunkBytes: 16_384,
    }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(TransferError);
    expect(error).toMatchObject({ phase: 'write', position: 65_536 });
    expect((error as TransferError).cause).toMatchObject({ code: 'ENOSPC' });
  });

  it('fails a read past the end of a source that shrank', async () => {
    const error = await copyRange({
      reader: memoryReader(source.subarray(0, 1000)),
      writer: memoryWriter(source.length),
      start: 0,
      end: 5000,
      signal: new AbortController().signal,
      onBytes: () => undefined,
    }).catch((reason: unknown) => reason);
    expect(error).toMatchObject({ phase: 'read', position: 0 });
    expect((error as Error).message).toMatch(/shrank during the transfer/);
  });
});

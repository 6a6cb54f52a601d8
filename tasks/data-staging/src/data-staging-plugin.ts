import { isUtf8 } from 'node:buffer';
import { definePlugin, taskFailureOf } from '@wlm/commons/plugin';
import { normalizedPath, resourceRoots, runDirectory, sharedSshPool } from '@wlm/commons/remote';
import type { Logger, TaskContext } from '@wlm/commons/plugin';
import type { ComputeResource, PathRoots } from '@wlm/commons/remote';
import { formatBytes } from './disk-space';
import { LocalSide } from './local-side';
import { ProgressThrottle } from './progress-throttle';
import { RemoteSide } from './remote-side';
import type { StagingSide } from './staging-side';
import { dataStagingOutputsSchema, dataStagingParamsSchema } from './staging-params';
import type { DataStagingOutputs, DataStagingParams, Direction, StagedFileOutput } from './staging-params';
import { planStaging } from './staging-plan';
import type { PlannedFile } from './staging-plan';
import { stageFiles } from './staging-run';
import type { StagingRunOptions } from './staging-run';

/**
 * `data-staging`: copies files between the worker's disk (or a storage resource) and a compute
 * resource over SFTP, in either direction — resuming partial copies, verifying each by SHA-256 and reporting progress about every
 * 10% of the bytes. See the package's index for the params and outputs.
 */
export const plugin = definePlugin({
  name: 'data-staging',
  version: '0.1.0',
  description: 'Copies files to or from a compute resource over SFTP, resumable and verified by SHA-256',
  inputSchema: dataStagingParamsSchema,
  outputSchema: dataStagingOutputsSchema,
  async run(ctx, signal): Promise<DataStagingOutputs> {
    const { params } = ctx;
    const resource = ctx.resources.get(params.resource);
    const storage = params.storage === undefined ? undefined : ctx.resources.get(params.storage);
    try {
      const remote = await remoteSide(resource, runDirectory(resource.workRoot, ctx), signal);
      const other =
        storage === undefined
          ? new LocalSide(localRoots(ctx.localRoots))
          : await remoteSide(storage, storage.workRoot, signal);
      const [source, destination] = params.direction === 'in' ? [other, remote] : [remote, other];
      const planned = await planStaging({ files: params.files, source, destination, signal });
      const totalBytes = planned.reduce((sum, file) => sum + file.size, 0);
      const toward = params.direction === 'in' ? 'to' : 'from';
      ctx.progress(
        `staging ${fileCount(planned.length)} (${formatBytes(totalBytes)}) ${toward} compute resource "${resource.name}"`,
        0,
      );
      const staged = await stageFiles(planned, {
        source,
        destination,
        signal,
        logger: ctx.logger,
        ...progressReports(ctx, planned, totalBytes),
      });
      const files: StagedFileOutput[] = [];
      for (const { file, sha256, resumedFrom } of staged) {
        const content = await inlineContent(
          other,
          file,
          params.direction,
          params.inlineContentBytes,
          ctx.logger,
        );
        files.push({
          source: file.source,
          destination: file.destination,
          bytes: file.size,
          sha256,
          ...(resumedFrom > 0 ? { resumedFrom } : {}),
          ...(content === undefined ? {} : { content }),
        });
      }
      ctx.logger.info({ files: files.length, totalBytes }, 'files staged');
      ctx.progress(
        `staged ${fileCount(planned.length)} (${formatBytes(totalBytes)}), checksums verified`,
        100,
      );
      return {
        resource: resource.name,
        direction: params.direction,
        ...(storage === undefined ? {} : { storage: storage.name }),
        files,
        totalBytes,
      };
    } catch (error) {
      throw taskFailureOf(error);
    }
  },
});
export default plugin;

/** Progress per file, about every 10% of the bytes (not per chunk), and before the checksums. */
function progressReports(
  ctx: TaskContext<DataStagingParams>,
  planned: readonly PlannedFile[],
  totalBytes: number,
): Pick<StagingRunOptions, 'onFile' | 'onBytes' | 'onVerify'> {
  const throttle = new ProgressThrottle(totalBytes);
  return {
    onFile: (file, index) => {
      const partial = file.partialSize > 0 ? `, ${formatBytes(file.partialSize)} copied before` : '';
      ctx.progress(
        `file ${index + 1}/${planned.length}: ${file.source} → ${file.destination} ` +
          `(${formatBytes(file.size)}${partial})`,
        throttle.percent,
      );
    },
    onBytes: (bytes) => {
      const percent = throttle.advance(bytes);
      if (percent !== undefined) {
        ctx.progress(`${formatBytes(throttle.bytes)} of ${formatBytes(totalBytes)} staged`, percent);
      }
    },
    onVerify: () => ctx.progress(`verifying the checksums of ${fileCount(planned.length)}`, throttle.percent),
  };
}

/** The compute or storage resource's side of a transfer; relative paths start at `baseDir`. */
async function remoteSide(
  resource: ComputeResource,
  baseDir: string,
  signal: AbortSignal,
): Promise<RemoteSide> {
  const ssh = await sharedSshPool().connect(resource, signal);
  return new RemoteSide(ssh, await ssh.sftp(), baseDir, resourceRoots(resource));
}

/** The worker's `staging.localRoots` (`ctx.localRoots`): where this plugin may read and write on its disk. */
function localRoots(dirs: readonly string[]): PathRoots {
  return { dirs: dirs.map(normalizedPath), setting: 'staging.localRoots', grant: 'staging.localRoots' };
}

/** A small file's text, read on the side that is not the compute resource (where it came from or went). */
async function inlineContent(
  other: StagingSide,
  file: PlannedFile,
  direction: Direction,
  limit: number,
  logger: Logger,
): Promise<string | undefined> {
  if (limit === 0 || file.size > limit) return undefined;
  const bytes = await readWhole(other, direction === 'in' ? file.source : file.destination, file.size);
  if (!isUtf8(bytes)) {
    logger.debug({ file: file.source }, 'not inlining a file that is not UTF-8 text');
    return undefined;
  }
  return bytes.toString('utf8');
}

async function readWhole(side: StagingSide, path: string, size: number): Promise<Buffer> {
  const reader = await side.openRead(path);
  try {
    const buffer = Buffer.alloc(size);
    let filled = 0;
    for (let read = -1; filled < size && read !== 0; filled += read) {
      read = await reader.read(buffer.subarray(filled), filled);
    }
    return buffer.subarray(0, filled);
  } finally {
    await reader.close();
  }
}

function fileCount(count: number): string {
  return `${count} file${count === 1 ? '' : 's'}`;
}

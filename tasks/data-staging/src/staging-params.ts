import { z } from 'zod';
import { isDirectoryDestination, sourcePattern, sourcePatternIssue } from './source-pattern';

/** The most `inlineContentBytes` may be: outputs travel in a message and are stored with the experiment. */
export const MAX_INLINE_CONTENT_BYTES = 65_536;

const path = z
  .string()
  .min(1)
  .refine((value) => !value.includes('\0'), 'a path cannot contain a NUL character');

/** One file (or glob of files) to copy. */
const stagedFileSchema = z.strictObject({
  /**
   * A file, or a glob in its last component (`results/*.csv`). On the worker an absolute path; on
   * the resource absolute or relative to the run directory `<workRoot>/<experimentId>/<run>`.
   */
  source: path,
  /**
   * A file path, or a directory when it ends with `/` (created when missing; the files keep their
   * names). Same rules as `source` for which side it is on.
   */
  destination: path,
});

/** The params of a `data-staging` task. */
export const dataStagingParamsSchema = z
  .strictObject({
    /** The compute resource, by the name it is configured under (`resources.<name>`). */
    resource: z.string().min(1),
    /**
     * `in`: from the other side (the worker's disk, or `storage`) to the resource; `out`: from the
     * resource to the other side.
     */
    direction: z.enum(['in', 'out']),
    /**
     * A storage resource (configured like a compute resource, by name) to stage to or from instead of
     * the worker's disk: the copy goes through the worker, checked the same way at both ends.
     */
    storage: z.string().min(1).optional(),
    files: z.array(stagedFileSchema).min(1, 'list at least one file to stage'),
    /**
     * Files no larger than this many bytes (and valid UTF-8) have their content in the outputs, so an
     * experiment can show a small result; 0 includes none.
     */
    inlineContentBytes: z.int().min(0).max(MAX_INLINE_CONTENT_BYTES).default(0),
  })
  .check((ctx) => {
    const { direction, files, storage } = ctx.value;
    files.forEach((file, index) => {
      for (const issue of stagedFileIssues(file, direction, storage)) {
        ctx.issues.push({
          code: 'custom',
          input: file,
          path: ['files', index, issue.field],
          message: issue.message,
        });
      }
    });
  });

export type DataStagingParams = z.infer<typeof dataStagingParamsSchema>;
export type StagedFileSpec = DataStagingParams['files'][number];
export type Direction = DataStagingParams['direction'];

interface FileIssue {
  readonly field: 'source' | 'destination';
  readonly message: string;
}

/** What is wrong with one entry of `files`, given the direction that says which path is on the other side. */
export function stagedFileIssues(file: StagedFileSpec, direction: Direction, storage?: string): FileIssue[] {
  const issues: FileIssue[] = [];
  const sourceIssue = sourcePatternIssue(file.source);
  if (sourceIssue !== undefined) issues.push({ field: 'source', message: sourceIssue });
  const localField = direction === 'in' ? 'source' : 'destination';
  if (!file[localField].startsWith('/')) {
    issues.push({
      field: localField,
      message:
        `"${file[localField]}" is ${storage === undefined ? 'on the worker' : `on storage resource "${storage}"`} ` +
        'and must be absolute (e.g. /data/exp-42/input.csv); only paths on the compute resource may be ' +
        'relative (to the run directory)',
    });
  }
  if (
    sourceIssue === undefined &&
    sourcePattern(file.source).glob &&
    !isDirectoryDestination(file.destination)
  ) {
    issues.push({
      field: 'destination',
      message: `the glob "${file.source}" may match several files: its destination must be a directory ending with "/"`,
    });
  }
  return issues;
}

/** The outputs of a `data-staging` task. */
export const dataStagingOutputsSchema = z.object({
  resource: z.string(),
  direction: z.enum(['in', 'out']),
  /** The storage resource of the other side; absent when it was the worker's disk. */
  storage: z.string().optional(),
  files: z.array(
    z.object({
      /** Absolute paths: the source file (a glob's match) and where it was copied. */
      source: z.string(),
      destination: z.string(),
      bytes: z.int().min(0),
      /** Of the source, and of the destination after the transfer: they are equal. */
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      /** The size of a partial copy left by an earlier attempt, which this one continued. */
      resumedFrom: z.int().min(1).optional(),
      content: z.string().optional(),
    }),
  ),
  totalBytes: z.int().min(0),
});

export type DataStagingOutputs = z.infer<typeof dataStagingOutputsSchema>;
export type StagedFileOutput = DataStagingOutputs['files'][number];

/**
 * `@wlm/task-data-staging` — the `data-staging` task type: copies files between the worker's disk
 * and a compute resource over SFTP. `direction: in` copies from the worker to the resource, `out`
 * from the resource to the worker. With `storage: <name>` the other side is that storage resource
 * (configured like a compute resource) instead of the worker's disk; the bytes pass through the worker.
 *
 * - `files[].source` is a file or a glob in its last component (`results/*.csv`: `* ? [..]`, matched
 *   like the resource's shell matches it, dotfiles only by a literal `.`); `destination` is a file
 *   path, or a directory when it ends with `/` (a glob needs one). Paths on the worker are absolute;
 *   paths on the resource are absolute or relative to the run directory `<workRoot>/<experimentId>/<run>`
 *   that `env-setup` creates. Missing directories are created.
 * - Before a byte moves, every source must exist (`STAGING_SOURCE_MISSING`) and every destination
 *   filesystem must have room (`STAGING_DISK_FULL`, naming free and needed bytes); neither is retried.
 * - Each file is written to `<destination>.part`, checked by SHA-256 against the source and only
 *   then renamed into place, keeping the source's permission bits. A `.part` left by an aborted or
 *   failed attempt is continued when its bytes are a prefix of the source (`resumedFrom` in the
 *   outputs), and started over otherwise. A checksum mismatch fails the task, retryably
 *   (`STAGING_CHECKSUM_MISMATCH`).
 * - Progress is reported per file and about every 10% of the bytes.
 * - Outputs are `{ resource, direction, storage?, files: [{ source, destination, bytes, sha256, resumedFrom?,
 *   content? }], totalBytes }`, with absolute paths; `content` is the text of files no larger than
 *   `inlineContentBytes` (default 0: none; at most 65536) that are valid UTF-8.
 *
 * @example
 * ```yaml
 * tasks:
 *   - id: stage-in
 *     type: data-staging
 *     params:
 *       resource: hpc
 *       direction: in
 *       files:
 *         - { source: /data/exp-42/mesh.bin, destination: inputs/ }
 *         - { source: /data/exp-42/params/*.json, destination: inputs/params/ }
 *   - id: stage-out
 *     type: data-staging
 *     after: [simulate]
 *     params:
 *       resource: hpc
 *       direction: out
 *       files: [{ source: outputs/*.csv, destination: /data/exp-42/results/ }]
 *       inlineContentBytes: 4096
 * ```
 */
export { plugin } from './data-staging-plugin';
export { STAGING_FAILURE_CODES } from './staging-errors';
export {
  MAX_INLINE_CONTENT_BYTES,
  dataStagingOutputsSchema,
  dataStagingParamsSchema,
} from './staging-params';
export type { DataStagingOutputs, DataStagingParams, StagedFileOutput } from './staging-params';
export { plugin as default } from './data-staging-plugin';

import { posix } from 'node:path';
/**
 * `path` made absolute against `base` and normalised (`.`/`..`/`//` resolved, a trailing `/` dropped):
 * an absolute path stays where it is, a relative one starts at `base`.
 */
export function resolveUnder(base: string, path: string): string {
  const resolved = posix.isAbsolute(path) ? posix.normalize(path) : posix.join(base, path);
  return resolved.length > 1 ? resolved.replace(/\/+$/, '') : resolved;
}

/**
 * Where a source file goes: into `destination` under the source's own name when `destination` is a
 * directory (ends with `/`), else to `destination` itself. Both come resolved (see {@link resolveUnder}).
 */
export function destinationFor(sourceFile: string, destination: string, isDirectory: boolean): string {
  return isDirectory ? posix.join(destination, posix.basename(sourceFile)) : destination;
}

/** The partial file a transfer writes to and renames once its checksum matches. */
export function partialPath(destination: string): string {
  return `${destination}.part`;
}

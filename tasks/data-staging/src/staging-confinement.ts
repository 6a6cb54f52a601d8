import { posix } from 'node:path';
import { isInsideRoot, outsideRootsFailure } from '@wlm/commons';
import type { StagingSide } from './staging-side';

/**
 * Where `path` really is: the real path of its nearest existing ancestor (symbolic links resolved)
 * followed by the rest, which does not exist yet and so holds no link. `path` is absolute and
 * normalised.
 */
async function realLocation(side: StagingSide, path: string): Promise<string> {
  for (let existing = path; ; existing = posix.dirname(existing)) {
    const real = await side.realpath(existing);
    if (real !== undefined) return posix.join(real, posix.relative(existing, path));
    if (existing === '/') return path;
  }
}

/**
 * Fails unless `path` (absolute, normalised) lies inside the side's roots both as written and once
 * symbolic links are resolved, so neither `..` nor a link inside a root leads out of it. The roots
 * are resolved too: a work root that is itself a link (`/scratch` → `/lustre/scratch`) is fine.
 *
 * @throws TaskFailure `PATH_OUTSIDE_ROOTS`, not retryable, naming `field`.
 */
export async function checkStagingPath(side: StagingSide, path: string, field: string): Promise<void> {
  const { roots } = side;
  const where = ` (${side.where})`;
  if (!roots.dirs.some((root) => isInsideRoot(path, root))) {
    throw outsideRootsFailure(field, path, roots, where);
  }
  const [real, ...realRoots] = await Promise.all(
    [path, ...roots.dirs].map((candidate) => realLocation(side, candidate)),
  );
  if (real === undefined || !realRoots.some((root) => isInsideRoot(real, root))) {
    throw outsideRootsFailure(field, path, roots, `${where}, a symbolic link to ${real ?? '?'},`);
  }
}

import { posix } from 'node:path';
import { isInsideRoot, outsideRootsFailure } from '@wlm/commons/remote';
import type { StagingSide } from './staging-side';

/**
 * Keeps the paths of one transfer inside one side's roots, as written and once symbolic links are
 * resolved, so neither `..` nor a link inside a root leads out of it. The roots are resolved too: a
 * work root that is itself a link (`/scratch` → `/lustre/scratch`) is fine. Real paths are asked
 * once per transfer and directory (on a resource each costs a round trip), so a glob of a thousand
 * files costs about a thousand, not several thousand.
 */
export class StagingConfinement {
  private readonly realpaths = new Map<string, Promise<string | undefined>>();
  private realRoots: Promise<string[]> | undefined;

  constructor(private readonly side: StagingSide) {}

  /**
   * Fails unless `path` (absolute, normalised) lies inside the side's roots.
   *
   * @throws TaskFailure `PATH_OUTSIDE_ROOTS`, not retryable, naming `field`.
   */
  async check(path: string, field: string): Promise<void> {
    const { roots, where } = this.side;
    if (!roots.dirs.some((root) => isInsideRoot(path, root))) {
      throw outsideRootsFailure(field, path, roots, ` (${where})`);
    }
    this.realRoots ??= Promise.all(roots.dirs.map((root) => this.realLocation(root)));
    const [real, realRoots] = await Promise.all([this.realLocation(path), this.realRoots]);
    if (!realRoots.some((root) => isInsideRoot(real, root))) {
      throw outsideRootsFailure(field, path, roots, ` (${where}), a symbolic link to ${real},`);
    }
  }

  /**
   * Where `path` really is: the real path of its nearest existing ancestor followed by the rest,
   * which does not exist yet and so holds no link.
   */
  private async realLocation(path: string): Promise<string> {
    for (let existing = path; ; existing = posix.dirname(existing)) {
      const real = await this.realpath(existing);
      if (real !== undefined) return posix.join(real, posix.relative(existing, path));
      if (existing === '/') return path;
    }
  }

  private realpath(path: string): Promise<string | undefined> {
    let known = this.realpaths.get(path);
    if (known === undefined) {
      known = this.side.realpath(path);
      this.realpaths.set(path, known);
    }
    return known;
  }
}

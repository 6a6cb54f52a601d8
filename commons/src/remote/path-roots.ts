import { posix } from 'node:path';
import { TaskFailure } from '../errors/task-failure';
import type { ComputeResource } from './compute-resource';

/** The code of a task failed because a path it names is outside the directories it may use. */
export const PATH_OUTSIDE_ROOTS = 'PATH_OUTSIDE_ROOTS';

/** Directories a side of a task may use, and the setting that lists them (for messages). */
export interface PathRoots {
  readonly dirs: readonly string[];
  /** The settings that list them, e.g. `resources.hpc.workRoot and allowedRoots`, `staging.localRoots`. */
  readonly setting: string;
  /** The setting to add a directory to, e.g. `resources.hpc.allowedRoots`. */
  readonly grant: string;
}

/** `path` normalised: `.`, `..` and `//` resolved, no trailing `/` (but `/` itself). */
export function normalizedPath(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

/** Whether the absolute `path` is `root` or below it; both are normalised first. */
export function isInsideRoot(path: string, root: string): boolean {
  const inner = normalizedPath(path);
  const outer = normalizedPath(root);
  return inner === outer || inner.startsWith(outer === '/' ? '/' : `${outer}/`);
}

/**
 * Where tasks may work on a compute resource: its `workRoot`, and the `allowedRoots` it grants
 * beyond it.
 */
export function resourceRoots(resource: ComputeResource): PathRoots {
  return {
    dirs: [resource.workRoot, ...resource.allowedRoots].map(normalizedPath),
    setting: `resources.${resource.name}.workRoot and allowedRoots`,
    grant: `resources.${resource.name}.allowedRoots`,
  };
}

/**
 * The failure of a path outside its roots: not retryable (another attempt names the same path),
 * naming the field, the path and the setting that would allow it.
 */
export function outsideRootsFailure(field: string, path: string, roots: PathRoots, why = ''): TaskFailure {
  const allowed = roots.dirs.length === 0 ? 'none is configured' : roots.dirs.join(', ');
  return TaskFailure.nonRetryable(
    PATH_OUTSIDE_ROOTS,
    `${field}: ${path}${why} is outside the directories tasks may use (${roots.setting}: ${allowed}); ` +
      `use a path inside them, or add its directory to ${roots.grant}`,
  );
}

/**
 * Checks by name only (no file system is asked) that the absolute `path` lies inside `roots`: what a
 * task can check before anything exists, such as the work directory it is about to create.
 *
 * @throws TaskFailure `PATH_OUTSIDE_ROOTS`, not retryable.
 */
export function checkInsideRoots(field: string, path: string, roots: PathRoots): void {
  if (!roots.dirs.some((root) => isInsideRoot(path, root))) throw outsideRootsFailure(field, path, roots);
}

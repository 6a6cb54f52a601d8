import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { WlmConfig } from './config-schema';

function isWorkspaceRoot(dir: string): boolean {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && 'workspaces' in parsed;
  } catch {
    return false;
  }
}

/**
 * The npm workspaces root above `cwd`, else `cwd`. A relative stack dir is anchored there so that
 * `npx wlm stack up` in `scripts/` and jest at the root share one stack rather than starting two.
 */
export function findProjectRoot(cwd: string): string {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (isWorkspaceRoot(dir)) return dir;
    if (dirname(dir) === dir) return resolve(cwd);
  }
}

/** The local stack's dir (config `stack.dir`), a relative one anchored at the project root. */
export function stackDirOf(config: WlmConfig, cwd: string = process.cwd()): string {
  return isAbsolute(config.stack.dir) ? config.stack.dir : join(findProjectRoot(cwd), config.stack.dir);
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ENTRY = 'task-child-main.js';

/**
 * The compiled entry of task processes. From `dist/` it sits beside this file; when this file runs
 * from `src/` (jest runs sources), the build output is used, since a child process cannot run
 * TypeScript.
 */
export function resolveChildEntry(): string {
  const candidates = [join(__dirname, ENTRY), join(__dirname, '..', '..', 'dist', 'execution', ENTRY)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new Error(
      `the task process entry ${ENTRY} is not built (looked for ${candidates.join(' and ')}); ` +
        'run `npm run build` at the repository root',
    );
  }
  return found;
}

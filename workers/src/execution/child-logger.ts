import pino from 'pino';
import type { Logger } from '@wlm/commons/plugin';
import { sendToParent } from './child-channel';

/**
 * One root logger per level for the life of the task process: building a pino logger costs about
 * as much as a short task's own work, a child of it almost nothing.
 */
const roots = new Map<string, Logger>();

/**
 * The logger a plugin gets in its task process, a fresh child for each task so that what one task
 * changes on it (its level) does not outlive the task. Lines travel to the worker over IPC, so they
 * end up wherever the worker's own logger writes, with the worker's scope fields; the child adds none.
 */
export function createChildLogger(level: string): Logger {
  let root = roots.get(level);
  if (root === undefined) {
    root = pino(
      { level, base: null, timestamp: false },
      {
        write(line: string): void {
          void sendToParent({ type: 'log', line });
        },
      },
    );
    roots.set(level, root);
  }
  return root.child({});
}

import pino from 'pino';
import type { Logger } from '@wlm/commons/plugin';
import { sendToParent } from './child-channel';

/**
 * The logger a plugin gets in its task process. Lines travel to the worker over IPC, so they end
 * up wherever the worker's own logger writes, with the worker's scope fields; the child adds none.
 */
export function createChildLogger(level: string): Logger {
  return pino(
    { level, base: null, timestamp: false },
    {
      write(line: string): void {
        void sendToParent({ type: 'log', line });
      },
    },
  );
}

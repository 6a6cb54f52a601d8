import { join } from 'node:path';
import { StackComponentError } from '../errors/stack-component-error';
import { ensureDebianPackage } from './debian';
import { findExecutable } from './exec';
import type { Reporter } from './types';

/**
 * Debian's chromium, which the console's browser tests drive through playwright-core (no browser
 * download: the machine may reach only the Debian and npm registries). Installed with apt like the
 * stack's servers when missing; returns the executable's path.
 */
export async function ensureChromium(options: { logDir: string; report?: Reporter }): Promise<string> {
  await ensureDebianPackage({
    component: 'chromium',
    binary: 'chromium',
    packageName: 'chromium',
    logFile: join(options.logDir, 'chromium-install.log'),
    report: options.report ?? (() => undefined),
  });
  const path = findExecutable('chromium');
  if (path === undefined)
    throw new StackComponentError('chromium', 'chromium is not on the PATH after its install', undefined);
  return path;
}

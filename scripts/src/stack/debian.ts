import { StackComponentError } from '../errors/stack-component-error';
import { findExecutable, runCommand, withProgress } from './exec';
import type { ComponentName, Reporter, ToolName } from './types';

export interface DebianPackageRequest {
  readonly component: ComponentName | ToolName;
  /** The program the package provides; when it is present nothing is installed. */
  readonly binary: string;
  readonly packageName: string;
  readonly logFile: string;
  readonly report: Reporter;
}

// dpkg takes a lock: components start in parallel, so their installs queue here one after another.
let aptQueue: Promise<unknown> = Promise.resolve();

function serialized<T>(work: () => Promise<T>): Promise<T> {
  const next = aptQueue.then(work, work);
  aptQueue = next.catch(() => undefined);
  return next;
}

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

async function aptInstall(packageName: string, logFile: string): Promise<boolean> {
  const install = (): Promise<{ code: number | null }> =>
    runCommand('apt-get', ['install', '-y', '--no-install-recommends', packageName], {
      env: APT_ENV,
      logFile,
    });
  if ((await install()).code === 0) return true;
  // A fresh machine may never have fetched the package lists; one refresh is worth a second try.
  await runCommand('apt-get', ['update'], { env: APT_ENV, logFile });
  return (await install()).code === 0;
}

/**
 * Installs a Debian package when the program it provides is missing. Returns whether it installed
 * anything, so a caller can apply first-install settings only to a server it just installed.
 */
export async function ensureDebianPackage(request: DebianPackageRequest): Promise<boolean> {
  const { component, binary, packageName, logFile, report } = request;
  if (findExecutable(binary) !== undefined) return false;
  if (process.getuid?.() !== 0) {
    throw new StackComponentError(
      component,
      `${binary} is missing; install it with \`sudo apt-get install -y ${packageName}\` and run \`wlm stack up\` again`,
      undefined,
    );
  }
  if (findExecutable('apt-get') === undefined) {
    throw new StackComponentError(
      component,
      `${binary} is missing and this is not a Debian system; install ${packageName}`,
      undefined,
    );
  }
  return serialized(async () => {
    const installed = await withProgress(
      report,
      { start: `installing Debian package ${packageName}`, still: `installing ${packageName}` },
      aptInstall(packageName, logFile),
    );
    if (!installed || findExecutable(binary) === undefined) {
      throw new StackComponentError(component, `apt-get install ${packageName} failed`, logFile);
    }
    report('info', `installed ${packageName}`);
    return true;
  });
}

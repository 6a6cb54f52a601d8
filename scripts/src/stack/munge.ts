import { chmodSync, chownSync, existsSync, mkdirSync } from 'node:fs';
import { StackComponentError } from '../errors/stack-component-error';
import { runCommand } from './exec';
import type { OwnedProcess, UnixSocket } from './types';

export const MUNGED = '/usr/sbin/munged';
const MUNGEKEY = '/usr/sbin/mungekey';
const MUNGE_KEY = '/etc/munge/munge.key';
const MUNGE_RUN_DIR = '/run/munge';
/** munged's default socket, which libmunge (and so every SLURM command) connects to. */
export const MUNGE_SOCKET: UnixSocket = { path: `${MUNGE_RUN_DIR}/munge.socket.2` };

/** Runs a program as the `munge` user; setpriv execs it, so the PID we record is the program's own. */
export function asMungeUser(command: string, args: readonly string[]): { command: string; args: string[] } {
  return {
    command: 'setpriv',
    args: ['--reuid=munge', '--regid=munge', '--init-groups', '--', command, ...args],
  };
}

/** `munged -F` stays in the foreground, so `stack up` owns its PID. */
export function mungedCommand(): { command: string; args: string[] } {
  return asMungeUser(MUNGED, ['-F']);
}

export function mungedProcess(pidFile: string): OwnedProcess {
  return { label: 'munged', pidFile, processMarker: `${MUNGED} -F` };
}

async function idOf(flag: '-u' | '-g', logFile: string): Promise<number> {
  const result = await runCommand('id', [flag, 'munge'], { logFile });
  const id = Number(result.stdout.trim());
  if (result.code !== 0 || !Number.isInteger(id)) {
    throw new StackComponentError(
      'slurm',
      'there is no `munge` user; reinstall the munge package (`apt-get install --reinstall munge`)',
      logFile,
    );
  }
  return id;
}

/**
 * What munged needs before it starts and what only the package's init script would otherwise make: its
 * key (the package's postinst creates one; we do when it is gone) and `/run/munge` owned by munge.
 */
export async function prepareMunge(logFile: string): Promise<void> {
  if (!existsSync(MUNGE_KEY)) {
    const { command, args } = asMungeUser(MUNGEKEY, ['--create']);
    const created = await runCommand(command, args, { logFile });
    if (created.code !== 0 || !existsSync(MUNGE_KEY)) {
      throw new StackComponentError('slurm', `mungekey could not create ${MUNGE_KEY}`, logFile);
    }
  }
  const [uid, gid] = [await idOf('-u', logFile), await idOf('-g', logFile)];
  mkdirSync(MUNGE_RUN_DIR, { recursive: true });
  chownSync(MUNGE_RUN_DIR, uid, gid);
  chmodSync(MUNGE_RUN_DIR, 0o755);
}

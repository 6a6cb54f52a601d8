import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

const TCP_LISTEN = '0A';

/**
 * Socket inodes listening on `port` in a `/proc/net/tcp` or `/proc/net/tcp6` table.
 * Columns: `sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …`,
 * with the local address as hex `IP:PORT`.
 */
export function listeningInodes(table: string, port: number): string[] {
  const inodes: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const columns = line.trim().split(/\s+/);
    const local = columns[1];
    const state = columns[3];
    const inode = columns[9];
    if (local === undefined || state !== TCP_LISTEN || inode === undefined || inode === '0') continue;
    if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.push(inode);
  }
  return inodes;
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The PID of the process listening on TCP `port`, found through /proc (Linux; needs the right to read
 * that process's fds, which root has). For servers whose launcher forks and exits, such as
 * `rabbitmq-server -detached`, this is the only reliable way to learn the PID to stop later.
 */
export function findListenerPid(port: number): number | undefined {
  const inodes = new Set([
    ...listeningInodes(readOrEmpty('/proc/net/tcp'), port),
    ...listeningInodes(readOrEmpty('/proc/net/tcp6'), port),
  ]);
  if (inodes.size === 0) return undefined;
  const wanted = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (wanted.has(readlinkSync(`/proc/${entry}/fd/${fd}`))) return Number(entry);
      } catch {
        // The fd closed while we looked.
      }
    }
  }
  return undefined;
}

/**
 * True when a socket listens on TCP `port` (any address) in this network namespace. Unlike a test
 * connection, it leaves no "zero bytes received" error in the server's log (slurmctld, slurmd log one each).
 */
export function isListening(port: number): boolean {
  return (
    listeningInodes(readOrEmpty('/proc/net/tcp'), port).length > 0 ||
    listeningInodes(readOrEmpty('/proc/net/tcp6'), port).length > 0
  );
}

/** `__SO_ACCEPTCON` in the Flags column of `/proc/net/unix`: the socket listens. */
const UNIX_ACCEPTING = 0x10000;

/**
 * Paths of the listening Unix sockets in a `/proc/net/unix` table.
 * Columns: `Num RefCount Protocol Flags Type St Inode Path`, Flags in hex; abstract sockets start with `@`.
 */
export function listeningUnixPaths(table: string): string[] {
  const paths: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const columns = line.trim().split(/\s+/);
    const flags = Number.parseInt(columns[3] ?? '', 16);
    const path = columns[7];
    if (path === undefined || Number.isNaN(flags) || (flags & UNIX_ACCEPTING) === 0) continue;
    paths.push(path);
  }
  return paths;
}

/** True when a process listens on the Unix socket at `path` (a stale socket file does not count). */
export function isUnixSocketListening(path: string): boolean {
  return listeningUnixPaths(readOrEmpty('/proc/net/unix')).includes(path);
}

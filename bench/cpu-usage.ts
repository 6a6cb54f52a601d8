/**
 * Where the CPU of a phase went: the machine's busy time from `/proc/stat` and each process's user
 * and system time from `/proc/<pid>/stat`, summed by group (wlm's services, the stores, the bench),
 * taken before and after the phase and given per task. On a host whose cores every process shares,
 * this is what says which part of the path a phase was bound by.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** One process as `/proc/<pid>/stat` shows it: its parent, its command name and its CPU ticks. */
export interface ProcessTicks {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** utime + stime, in clock ticks. */
  readonly ticks: number;
  /** cutime + cstime: the ticks of its children that exited and were waited for. */
  readonly exitedChildrenTicks: number;
}

/** CPU time spent up to a moment, in ms: the machine's busy time and each group's. */
export interface CpuSnapshot {
  readonly machineBusyMs: number;
  readonly byGroupMs: Readonly<Record<string, number>>;
}

/** What a phase cost the machine's CPU, per task it ran. */
export interface CpuPerTask {
  /** Busy CPU ms of the whole machine (every process and the kernel) per task. */
  readonly machineMs: number;
  /** Busy CPU ms per task by process group, largest first; a group that spent nothing is left out. */
  readonly byGroupMs: Readonly<Record<string, number>>;
}

/** Busy ticks of all cores from the `cpu` line of `/proc/stat`: everything but idle and iowait. */
export function machineBusyTicks(procStat: string): number {
  const line = procStat.split('\n').find((text) => text.startsWith('cpu '));
  if (line === undefined) throw new Error('/proc/stat has no "cpu" line');
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return [user, nice, system, irq, softirq, steal].reduce<number>((sum, ticks) => sum + (ticks ?? 0), 0);
}

/**
 * A process's parent, command and CPU ticks from its `/proc/<pid>/stat`. The command, in
 * parentheses, may hold spaces and parentheses itself: the fields after it follow the last `)`.
 */
export function processTicks(pid: number, stat: string): ProcessTicks {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`/proc/${pid}/stat is not a process's stat line`);
  // After the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14), counting from
  // the field after `)`.
  const fields = stat.slice(close + 2).split(' ');
  return {
    pid,
    ppid: Number(fields[1]),
    comm: stat.slice(open + 1, close),
    ticks: Number(fields[11]) + Number(fields[12]),
    exitedChildrenTicks: Number(fields[13]) + Number(fields[14]),
  };
}

/** Per task between two snapshots; groups present in only one of them are left out. */
export function cpuPerTask(before: CpuSnapshot, after: CpuSnapshot, tasks: number): CpuPerTask {
  const perTask = (ms: number): number => (tasks > 0 ? Math.round((ms / tasks) * 100) / 100 : Number.NaN);
  const byGroup = Object.entries(after.byGroupMs)
    .map(([group, ms]) => [group, perTask(ms - (before.byGroupMs[group] ?? ms))] as const)
    .filter(([, ms]) => ms > 0)
    .sort(([, a], [, b]) => b - a);
  return {
    machineMs: perTask(after.machineBusyMs - before.machineBusyMs),
    byGroupMs: Object.fromEntries(byGroup),
  };
}

/** The group a process is counted in, or undefined to count it in the machine's time only. */
export type GroupOf = (proc: ProcessTicks, cmdline: () => string) => string | undefined;

/** The stores and agents by command name, for {@link GroupOf}s to fall back on. */
export function serverGroupOf(proc: ProcessTicks, cmdline: () => string): string | undefined {
  if (proc.comm === 'beam.smp') return 'rabbitmq';
  if (proc.comm === 'mariadbd' || proc.comm === 'mysqld') return 'mariadb';
  if (proc.comm === 'redis-server') return 'redis';
  if (proc.comm === 'serf') return 'serf';
  if (proc.comm === 'java' && cmdline().includes('neo4j')) return 'neo4j';
  return undefined;
}

/**
 * The processes of a wlm cluster: the stores and agents by command first — a worker's own Serf agent
 * is its child, and would otherwise count as one of its task processes — then wlm's services by
 * role (`roleOf`, which knows their pids), then the bench itself.
 */
export function wlmGroupOf(
  roleOf: (pid: number, ppid: number) => string | undefined,
  benchPid: number,
): GroupOf {
  return (proc, cmdline) =>
    serverGroupOf(proc, cmdline) ??
    roleOf(proc.pid, proc.ppid) ??
    (proc.pid === benchPid ? 'bench' : undefined);
}

/** Takes {@link CpuSnapshot}s of this machine with the given grouping. Linux only. */
export class CpuMeter {
  private readonly msPerTick: number;

  /**
   * @param exitedChildrenGroup where the time of this process's children that exited goes (forked
   *   for one phase and gone at its end, they are in no snapshot themselves); nowhere when unset.
   */
  constructor(
    private readonly groupOf: GroupOf,
    private readonly exitedChildrenGroup?: string,
  ) {
    this.msPerTick = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  }

  snapshot(): CpuSnapshot {
    const byGroupMs: Record<string, number> = {};
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      let proc: ProcessTicks;
      try {
        proc = processTicks(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        continue; // gone since the listing
      }
      const cmdline = (): string => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      };
      const add = (group: string | undefined, ticks: number): void => {
        if (group !== undefined) byGroupMs[group] = (byGroupMs[group] ?? 0) + ticks * this.msPerTick;
      };
      add(this.groupOf(proc, cmdline), proc.ticks);
      if (pid === process.pid) add(this.exitedChildrenGroup, proc.exitedChildrenTicks);
    }
    return {
      machineBusyMs: machineBusyTicks(readFileSync('/proc/stat', 'utf8')) * this.msPerTick,
      byGroupMs,
    };
  }
}

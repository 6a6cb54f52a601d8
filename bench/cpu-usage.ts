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

/** One counted process at a moment: its group and CPU ms, and where its exited children's go. */
export interface CountedProcess {
  readonly group: string | undefined;
  readonly ms: number;
  readonly exitedChildrenGroup: string | undefined;
  readonly exitedChildrenMs: number;
}

/** CPU time spent up to a moment, in ms: the machine's busy time and each counted process's. */
export interface CpuSnapshot {
  readonly machineBusyMs: number;
  readonly processes: ReadonlyMap<number, CountedProcess>;
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

/**
 * Per task between two snapshots, process by process: one that started during the phase counts
 * with all of its time; one that exited during it was waited for by its parent, whose exited
 * children's time took in all of its time, so the part it had spent before the phase comes out.
 */
export function cpuPerTask(before: CpuSnapshot, after: CpuSnapshot, tasks: number): CpuPerTask {
  const perTask = (ms: number): number => (tasks > 0 ? Math.round((ms / tasks) * 100) / 100 : Number.NaN);
  const spent = new Map<string, number>();
  const add = (group: string | undefined, ms: number): void => {
    if (group !== undefined) spent.set(group, (spent.get(group) ?? 0) + ms);
  };
  for (const [pid, now] of after.processes) {
    const then = before.processes.get(pid);
    add(now.group, now.ms - (then?.ms ?? 0));
    add(now.exitedChildrenGroup, now.exitedChildrenMs - (then?.exitedChildrenMs ?? 0));
  }
  for (const [pid, then] of before.processes) {
    if (!after.processes.has(pid)) add(then.group, -then.ms);
  }
  const byGroup = [...spent]
    .map(([group, ms]) => [group, perTask(ms)] as const)
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

/** Where the time of a process's children that exited goes, or undefined for nowhere. */
export type ExitedChildrenGroupOf = (proc: ProcessTicks) => string | undefined;

/** Takes {@link CpuSnapshot}s of this machine with the given grouping. Linux only. */
export class CpuMeter {
  private readonly msPerTick: number;

  /**
   * @param exitedChildrenGroupOf where the time of a process's children that exited goes: forked
   *   for one phase, or retired during it, they are in no later snapshot themselves.
   */
  constructor(
    private readonly groupOf: GroupOf,
    private readonly exitedChildrenGroupOf: ExitedChildrenGroupOf = () => undefined,
  ) {
    this.msPerTick = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  }

  snapshot(): CpuSnapshot {
    const processes = new Map<number, CountedProcess>();
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
      const group = this.groupOf(proc, cmdline);
      const exitedChildrenGroup = this.exitedChildrenGroupOf(proc);
      if (group === undefined && exitedChildrenGroup === undefined) continue;
      processes.set(pid, {
        group,
        ms: proc.ticks * this.msPerTick,
        exitedChildrenGroup,
        exitedChildrenMs: proc.exitedChildrenTicks * this.msPerTick,
      });
    }
    return {
      machineBusyMs: machineBusyTicks(readFileSync('/proc/stat', 'utf8')) * this.msPerTick,
      processes,
    };
  }
}

import {
  CpuMeter,
  cpuPerTask,
  machineBusyTicks,
  processTicks,
  serverGroupOf,
  wlmGroupOf,
} from '../../cpu-usage';

describe('machineBusyTicks', () => {
  it('adds user, nice, system, irq, softirq and steal of the cpu line, not idle or iowait', () => {
    const stat = 'cpu  100 2 30 5000 70 0 8 1 0 0\ncpu0 50 1 15 2500 35 0 4 0 0 0\n';
    expect(machineBusyTicks(stat)).toBe(100 + 2 + 30 + 8 + 1);
  });

  it('names what is missing', () => {
    expect(() => machineBusyTicks('intr 1 2 3\n')).toThrow('no "cpu" line');
  });
});

describe('processTicks', () => {
  it('reads the parent, the command and the user, system and exited children ticks', () => {
    const stat = '4242 (node) S 17 4242 17 0 -1 4194560 900 0 0 0 150 25 40 5 20 0 11 0 9 0 0';
    expect(processTicks(4242, stat)).toEqual({
      pid: 4242,
      ppid: 17,
      comm: 'node',
      ticks: 175,
      exitedChildrenTicks: 45,
    });
  });

  it('reads a command that holds spaces and parentheses', () => {
    const stat = '7 (a (b) c) R 1 7 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0';
    expect(processTicks(7, stat)).toMatchObject({ ppid: 1, comm: 'a (b) c', ticks: 7 });
  });
});

describe('cpuPerTask', () => {
  const counted = (group: string | undefined, ms: number, exitedChildren?: [string, number]) => ({
    group,
    ms,
    exitedChildrenGroup: exitedChildren?.[0],
    exitedChildrenMs: exitedChildren?.[1] ?? 0,
  });
  const snapshot = (machineBusyMs: number, processes: [number, ReturnType<typeof counted>][]) => ({
    machineBusyMs,
    processes: new Map(processes),
  });

  it('gives the machine and each group per task, largest first, without groups that spent nothing', () => {
    const cost = cpuPerTask(
      snapshot(1_000, [
        [1, counted('rabbitmq', 500)],
        [2, counted('workers', 300)],
        [3, counted('workers', 100)],
        [4, counted('idle', 40)],
      ]),
      snapshot(5_000, [
        [1, counted('rabbitmq', 2_500)],
        [2, counted('workers', 800)],
        [3, counted('workers', 600)],
        [4, counted('idle', 40)],
      ]),
      1_000,
    );
    expect(cost.machineMs).toBe(4);
    expect(Object.entries(cost.byGroupMs)).toEqual([
      ['rabbitmq', 2],
      ['workers', 1],
    ]);
  });

  it('counts a process started during the phase with all of its time', () => {
    const cost = cpuPerTask(
      snapshot(0, [[1, counted('workers', 100)]]),
      snapshot(0, [
        [1, counted('workers', 100)],
        [2, counted('task processes', 700)],
      ]),
      100,
    );
    expect(cost.byGroupMs).toEqual({ 'task processes': 7 });
  });

  it("counts a process that exited during the phase by its parent's exited children, less its time before", () => {
    const worker = (exitedMs: number) => counted('workers', 100, ['task processes', exitedMs]);
    const cost = cpuPerTask(
      // Process 2 had spent 5 s serving earlier phases, then 2 s more in this one before it exited.
      snapshot(0, [
        [1, worker(0)],
        [2, counted('task processes', 5_000)],
        [3, counted('task processes', 1_000)],
      ]),
      snapshot(0, [
        [1, worker(7_000)],
        [3, counted('task processes', 1_300)],
      ]),
      100,
    );
    expect(cost.byGroupMs).toEqual({ 'task processes': 23 });
  });
});

describe('serverGroupOf', () => {
  const proc = (comm: string) => ({ pid: 1, ppid: 0, comm, ticks: 0, exitedChildrenTicks: 0 });
  it('knows the stores and agents by command, Neo4j by its command line', () => {
    expect(serverGroupOf(proc('beam.smp'), () => '')).toBe('rabbitmq');
    expect(serverGroupOf(proc('mariadbd'), () => '')).toBe('mariadb');
    expect(serverGroupOf(proc('java'), () => 'java\0-cp\0/opt/neo4j/lib/*')).toBe('neo4j');
    expect(serverGroupOf(proc('java'), () => 'java\0-jar\0other.jar')).toBeUndefined();
    expect(serverGroupOf(proc('node'), () => '')).toBeUndefined();
  });
});

describe('wlmGroupOf', () => {
  const WORKER = 10;
  const BENCH = 20;
  const roleOf = (pid: number, ppid: number) =>
    pid === WORKER ? 'workers' : ppid === WORKER ? 'task processes' : undefined;
  const groupOf = wlmGroupOf(roleOf, BENCH);
  const proc = (pid: number, ppid: number, comm: string) => ({
    pid,
    ppid,
    comm,
    ticks: 0,
    exitedChildrenTicks: 0,
  });

  it("counts a worker's own Serf agent as Serf, not as one of its task processes", () => {
    expect(groupOf(proc(11, WORKER, 'serf'), () => '')).toBe('serf');
    expect(groupOf(proc(12, WORKER, 'node'), () => '')).toBe('task processes');
  });

  it('knows the services by role, then the bench, and leaves the rest out', () => {
    expect(groupOf(proc(WORKER, 1, 'node'), () => '')).toBe('workers');
    expect(groupOf(proc(BENCH, 1, 'node'), () => '')).toBe('bench');
    expect(groupOf(proc(30, 1, 'beam.smp'), () => '')).toBe('rabbitmq');
    expect(groupOf(proc(31, 1, 'node'), () => '')).toBeUndefined();
  });
});

describe('CpuMeter', () => {
  it("counts this process's own CPU time in its group, and it grows with work done", () => {
    const meter = new CpuMeter((proc) => (proc.pid === process.pid ? 'self' : undefined));
    const before = meter.snapshot();
    // Spin until Node itself counts 100 ms of CPU, however long a loaded host takes to give them.
    const start = process.cpuUsage();
    const spentMs = (): number => {
      const { user, system } = process.cpuUsage(start);
      return (user + system) / 1000;
    };
    while (spentMs() < 100);
    const after = meter.snapshot();
    expect([...after.processes.keys()]).toEqual([process.pid]);
    // Ticks are 10 ms: the meter sees the same 100 ms within two of them.
    expect(cpuPerTask(before, after, 1).byGroupMs['self']).toBeGreaterThanOrEqual(80);
    expect(after.machineBusyMs).toBeGreaterThan(before.machineBusyMs);
  });
});

import type { Logger } from '@wlm/commons/logging';
import { TaskProcess } from './task-process';

export interface TaskProcessPoolOptions {
  entry: string;
  memoryLimitMb: number;
  execArgv: readonly string[];
  /** The environment of every process forked. */
  env: Readonly<Record<string, string>>;
  /** 1 means a fresh process for every task. */
  maxTasksPerProcess: number;
  maxIdlePerPlugin: number;
  idleTimeoutMs: number;
  /** A process whose heap passed this after a task is retired rather than reused. */
  recycleHeapBytes: number;
  logger: Logger;
}

interface IdleEntry {
  proc: TaskProcess;
  timer: NodeJS.Timeout;
}

/**
 * Task processes kept warm per plugin module, so that a short task does not pay for a fork and a
 * module load. A process serves one plugin only, so one plugin's leaks and globals never reach
 * another's tasks; it is reused only after a clean result and retired after a number of tasks, when
 * its heap fills up, or when it idles too long.
 */
export class TaskProcessPool {
  private readonly idle = new Map<string, IdleEntry[]>();
  private readonly all = new Set<TaskProcess>();

  constructor(private readonly options: TaskProcessPoolOptions) {}

  /** An idle process that has served `modulePath` before, or a new one. */
  acquire(modulePath: string): TaskProcess {
    const entries = this.idle.get(modulePath) ?? [];
    for (let entry = entries.pop(); entry !== undefined; entry = entries.pop()) {
      clearTimeout(entry.timer);
      if (entry.proc.alive) {
        entry.proc.hold(true);
        return entry.proc;
      }
    }
    return this.spawn();
  }

  /** Hands a process back after a task; it is kept only if `reusable` and still within its limits. */
  release(modulePath: string, proc: TaskProcess, reusable: boolean, heapUsedBytes = 0): void {
    const entries = this.idle.get(modulePath) ?? [];
    const keep =
      reusable &&
      proc.alive &&
      proc.tasksStarted < this.options.maxTasksPerProcess &&
      heapUsedBytes < this.options.recycleHeapBytes &&
      entries.length < this.options.maxIdlePerPlugin;
    if (!keep) {
      if (proc.alive) proc.retire();
      return;
    }
    const timer = setTimeout(() => this.expire(modulePath, proc), this.options.idleTimeoutMs);
    // An idle process must not keep the worker's event loop alive.
    timer.unref();
    proc.hold(false);
    entries.push({ proc, timer });
    this.idle.set(modulePath, entries);
  }

  /** Kills every process, idle or busy, and waits until they are gone. */
  async close(): Promise<void> {
    for (const entries of this.idle.values()) for (const entry of entries) clearTimeout(entry.timer);
    this.idle.clear();
    const procs = [...this.all];
    for (const proc of procs) proc.kill();
    await Promise.all(procs.map((proc) => proc.exited));
  }

  private spawn(): TaskProcess {
    const proc = new TaskProcess({
      entry: this.options.entry,
      memoryLimitMb: this.options.memoryLimitMb,
      execArgv: this.options.execArgv,
      env: this.options.env,
      logger: this.options.logger,
    });
    this.all.add(proc);
    void proc.exited.then(() => this.all.delete(proc));
    return proc;
  }

  private expire(modulePath: string, proc: TaskProcess): void {
    const entries = this.idle.get(modulePath) ?? [];
    const index = entries.findIndex((entry) => entry.proc === proc);
    if (index >= 0) entries.splice(index, 1);
    proc.retire();
  }
}

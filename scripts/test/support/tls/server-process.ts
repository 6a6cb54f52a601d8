import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A server of a test's own, in a process group of its own so that stopping it stops whatever it
 * started (RabbitMQ's Erlang helpers), with its output in `logFile` for failure messages.
 */
export class ServerProcess {
  private readonly child: ChildProcess;
  readonly exited: Promise<void>;

  constructor(
    readonly label: string,
    command: string,
    args: readonly string[],
    readonly logFile: string,
    options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ) {
    const log = openSync(logFile, 'a');
    try {
      this.child = spawn(command, args, {
        detached: true,
        stdio: ['ignore', log, log],
        env: options.env ?? process.env,
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      });
    } finally {
      closeSync(log);
    }
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.once('error', () => undefined);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The end of its log, for a failure message. */
  logTail(): string {
    try {
      return `--- ${this.label} (${this.logFile}):\n${readFileSync(this.logFile, 'utf8').slice(-3000)}`;
    } catch {
      return `--- ${this.label}: no log at ${this.logFile}`;
    }
  }

  /** SIGTERM to its group, SIGKILL after `graceMs`; resolves once the server itself has exited. */
  async stop(graceMs = 20_000): Promise<void> {
    const group = this.child.pid;
    if (group === undefined) return;
    this.signalGroup(group, 'SIGTERM');
    const grace = new AbortController();
    const killed = sleep(graceMs, 'timeout' as const, { signal: grace.signal }).catch(
      () => 'exited' as const,
    );
    const outcome = await Promise.race([this.exited.then(() => 'exited' as const), killed]);
    grace.abort();
    if (outcome === 'timeout') {
      this.signalGroup(group, 'SIGKILL');
      await this.exited;
    }
    // Helpers of the server (Erlang's) may outlive it for a moment: never leave them behind.
    this.signalGroup(group, 'SIGKILL');
  }

  private signalGroup(group: number, signal: NodeJS.Signals): void {
    try {
      process.kill(-group, signal);
    } catch {
      // The group is gone already.
    }
  }
}

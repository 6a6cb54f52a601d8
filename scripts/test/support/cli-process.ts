import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '@wlm/test-support';

const REPO = join(__dirname, '..', '..', '..');
const CLI = join(REPO, 'scripts', 'dist', 'cli.js');

/** One JSON log line of a service (pino on stderr). */
export interface LogRecord {
  readonly msg?: string;
  readonly workerId?: string;
  readonly [field: string]: unknown;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * `node scripts/dist/cli.js <args>` as a child process, the way people and scripts run wlm: the test
 * sees what it prints and its JSON log lines, and can signal it like an operator (or a crash).
 */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly logs: LogRecord[] = [];
  readonly exited: Promise<ProcessExit>;
  private readonly child: ChildProcess;
  private partialLine = '';

  constructor(
    /** For messages: `scheduler s1`, `worker w1`. */
    readonly label: string,
    args: readonly string[],
    env: Readonly<Record<string, string>> = {},
    /** A network namespace to run it in (a host of a `NetnsLab`); `ip netns exec` execs it in place. */
    netns?: string,
  ) {
    const argv = [process.execPath, CLI, ...args];
    const [command, ...rest] = netns === undefined ? argv : ['ip', 'netns', 'exec', netns, ...argv];
    this.child = spawn(command ?? process.execPath, rest, {
      cwd: REPO,
      // Never pretty logs: the test parses them.
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => this.onStderr(chunk.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until `ready` holds for what the process printed; fails with its output if it exits first. */
  async waitFor(what: string, ready: (process: CliProcess) => boolean, timeoutMs: number): Promise<void> {
    await eventually(
      `${this.label}: ${what}`,
      () => ready(this) || !this.running,
      (done) => done,
      timeoutMs,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.output()}`);
    });
    if (!ready(this)) throw new Error(`${this.label} exited before ${what}\n${this.output()}`);
  }

  /** Log lines whose message is `msg`. */
  logged(msg: string): LogRecord[] {
    return this.logs.filter((record) => record.msg === msg);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM (a graceful stop), then SIGKILL when it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<ProcessExit> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The end of what it printed, for failure messages. */
  output(): string {
    return `--- ${this.label} stdout:\n${this.stdout.slice(-2000)}\n--- ${this.label} stderr:\n${this.stderr.slice(-4000)}`;
  }

  private onStderr(text: string): void {
    this.stderr += text;
    const lines = (this.partialLine + text).split('\n');
    this.partialLine = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        this.logs.push(JSON.parse(line) as LogRecord);
      } catch {
        // A line that only looks like JSON: the raw text is still in `stderr`.
      }
    }
  }
}

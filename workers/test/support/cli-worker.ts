import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '@wlm/test-support';

const REPO = join(__dirname, '..', '..', '..');

/** `wlm worker …` as a child process from the built CLI, the way people and scripts run it. */
export class CliWorker {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(
    readonly workerId: string,
    args: readonly string[],
  ) {
    this.child = spawn(
      process.execPath,
      [join(REPO, 'scripts', 'dist', 'cli.js'), 'worker', '--name', workerId, ...args],
      { cwd: REPO, env: { ...process.env, WLM_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Resolves once the start line is out; fails with what the worker printed on stderr. */
  async started(): Promise<void> {
    await eventually(
      'the start line',
      () => this.stdout,
      (text) => text.includes('\n'),
      30_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nstderr: ${this.stderr}`);
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Kills it if a test left it running. */
  reap(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

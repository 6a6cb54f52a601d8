import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** How a child process ended: its exit code, or the signal that ended it. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A test's Node script run in a process of its own, so that a test can kill it for real (SIGKILL
 * mid-work, SIGSTOP, SIGTERM) and read what it printed. The script loads wlm's TypeScript sources
 * with `require('@wlm/test-support/typescript-sources')`.
 */
export class ChildScript {
  private printed = '';
  /** Resolves once the process has exited. */
  readonly exited: Promise<ChildExit>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    const keep = (chunk: Buffer): void => {
      this.printed += chunk.toString();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Runs `node <script> <args…>`. */
  static start(script: string, args: readonly string[] = []): ChildScript {
    return new ChildScript(spawn(process.execPath, [script, ...args]));
  }

  /** Everything it printed so far, stdout and stderr interleaved as they came. */
  get output(): string {
    return this.printed;
  }

  get hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Sends `signal` (default SIGKILL); {@link exited} tells when it took effect. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }

  /**
   * Resolves once the script printed `text`; fails with its output if it exits first or after
   * `timeoutMs`.
   */
  async untilPrinted(text: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.printed.includes(text)) {
      if (this.hasExited || Date.now() > deadline)
        throw new Error(`the child never printed "${text}": ${this.printed}`);
      await sleep(25);
    }
  }
}

/**
 * The child scripts one test file started, so that its `afterAll` kills whatever still runs —
 * including those a failed test left behind, which would otherwise keep jest from exiting.
 *
 * @example
 * const children = new ChildScripts();
 * afterAll(() => children.killAll());
 * const leader = children.start(join(__dirname, 'support', 'leader-process.js'), [db.url, 'child']);
 * await leader.untilPrinted('elected', 30_000);
 */
export class ChildScripts {
  private readonly started = new Set<ChildScript>();

  start(script: string, args: readonly string[] = []): ChildScript {
    const child = ChildScript.start(script, args);
    this.started.add(child);
    return child;
  }

  /** SIGKILLs every child still running and waits until each has exited. */
  async killAll(): Promise<void> {
    const children = [...this.started];
    this.started.clear();
    await Promise.all(
      children.map(async (child) => {
        if (child.hasExited) return;
        child.kill('SIGKILL');
        await child.exited;
      }),
    );
  }
}

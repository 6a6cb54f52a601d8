import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CrashPoint } from '@wlm/orchestrator';
import { TOKEN } from './orchestrator-env';

/** Where an orchestrator process runs: its database and its AMQP namespace. */
export interface OrchestratorPlace {
  readonly db: { readonly url: string };
  readonly topology: { readonly namespace: string };
}

const MAIN = join(__dirname, '..', '..', '..', 'dist', 'main.js');

/**
 * An orchestrator in a process of its own, run from the built package (`orchestrator/dist/main.js`),
 * so that a test can SIGKILL a real one. Its JSON log lines (stderr) are kept for diagnosis.
 */
export class OrchestratorProcess {
  url: string | undefined;
  readonly log: string[] = [];
  private readonly exited: Promise<NodeJS.Signals | number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly name: string,
  ) {
    let partial = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.onLine(line);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  }

  /** `settings`: WLM_* variables of its own, on top of the test's. */
  static start(
    env: OrchestratorPlace,
    name: string,
    crashAt?: CrashPoint,
    settings: NodeJS.ProcessEnv = {},
  ): OrchestratorProcess {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc --build)`);
    const variables: NodeJS.ProcessEnv = {
      ...process.env,
      WLM_MYSQL_URL: env.db.url,
      WLM_API_TOKEN: TOKEN,
      WLM_LOG_LEVEL: 'info',
      ...settings,
    };
    delete variables['WLM_TEST_CRASH_AT'];
    if (crashAt !== undefined) variables['WLM_TEST_CRASH_AT'] = crashAt;
    const child = spawn(
      process.execPath,
      [MAIN, '--namespace', env.topology.namespace, '--port', '0', '--instance-id', name],
      { env: variables, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return new OrchestratorProcess(child, name);
  }

  /** Waits until the API listens; returns its URL. */
  async listening(timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.url === undefined) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`${this.name} exited before listening:\n${this.log.slice(-20).join('\n')}`);
      }
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not start:\n${this.log.slice(-20).join('\n')}`);
      await sleep(50);
    }
    return this.url;
  }

  /** Whether its /healthz says it leads. */
  async isLeader(): Promise<boolean> {
    if (this.url === undefined) return false;
    try {
      const response = await fetch(`${this.url}/healthz`);
      const body = (await response.json()) as { leader?: unknown };
      return body.leader === true;
    } catch {
      return false;
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }

  /** Resolves with the signal (or exit code) that ended it. */
  exit(): Promise<NodeJS.Signals | number | null> {
    return this.exited;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private onLine(line: string): void {
    this.log.push(line);
    if (this.log.length > 2000) this.log.shift();
    try {
      const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
      if (entry.msg === 'listening' && typeof entry.url === 'string') this.url = entry.url;
    } catch {
      // Not a log line of ours (e.g. a Node warning); kept for the record.
    }
  }
}

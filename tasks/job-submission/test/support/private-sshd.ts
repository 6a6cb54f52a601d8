import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@wlm/commons/config';
import { freePort, portOpen } from '@wlm/commons/net';
import { stackPaths } from '@wlm/scripts';
import { eventually } from '@wlm/test-support';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

/**
 * An sshd of the test's own, on a free port, with the stack's keys: a test can stop it and start
 * it again (to take a compute resource away mid-job) without touching the stack's sshd that other
 * tests use. Pin it with `hostKey` (the stack's known_hosts names only the stack's port).
 */
export class PrivateSshd {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly configFile: string,
  ) {}

  static async start(): Promise<PrivateSshd> {
    const ssh = stackPaths(loadConfig(), REPO_ROOT).ssh;
    const port = await freePort('127.0.0.1', false);
    const dir = mkdtempSync(join(tmpdir(), 'wlm-private-sshd-'));
    const configFile = join(dir, 'sshd_config');
    writeFileSync(
      configFile,
      readFileSync(ssh.config, 'utf8')
        .replace(/^Port .*$/m, `Port ${port}`)
        .replace(/^PidFile .*$/m, `PidFile ${join(dir, 'sshd.pid')}`),
    );
    const sshd = new PrivateSshd(port, dir, configFile);
    await sshd.resume();
    return sshd;
  }

  /** The host key line to pin. */
  static hostKey(): string {
    return readFileSync(stackPaths(loadConfig(), REPO_ROOT).ssh.hostPublicKey, 'utf8').trim();
  }

  /** Starts sshd (again) on the same port and waits until it listens. */
  async resume(): Promise<void> {
    this.process = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', this.configFile], { stdio: 'ignore' });
    await eventually(`sshd on port ${this.port}`, () => portOpen('127.0.0.1', this.port), Boolean, 10_000);
  }

  /** Stops the listening sshd; sessions it forked live on until their connections close. */
  async pause(): Promise<void> {
    const listener = this.process;
    if (listener === undefined || listener.exitCode !== null || listener.signalCode !== null) return;
    const exited = new Promise((resolve) => listener.once('exit', resolve));
    listener.kill('SIGTERM');
    await exited;
  }

  async stop(): Promise<void> {
    await this.pause();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

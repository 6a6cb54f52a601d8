import { freePort, loadConfig, writeSerfAgentConfig } from '@wlm/commons';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';

/** A real `serf agent` child process on 127.0.0.1, started by a test. */
export interface SerfAgent {
  readonly name: string;
  /** Gossip address, `127.0.0.1:port`. */
  readonly bindAddr: string;
  /** RPC address, `127.0.0.1:port`. */
  readonly rpcAddr: string;
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<void>;
}

export interface SerfAgentOptions {
  readonly name: string;
  /** Gossip addresses to join at start. */
  readonly join?: readonly string[];
  readonly tags?: Readonly<Record<string, string>>;
  /** Reuse a gossip port (an agent restarted where it was). */
  readonly bindPort?: number;
}

/** Starts agents on free ports and kills whatever is left in {@link stopAll}. */
export class SerfAgents {
  private readonly running = new Set<SerfAgent>();

  async start(options: SerfAgentOptions): Promise<SerfAgent> {
    const bindPort = options.bindPort ?? (await freePort('127.0.0.1', true));
    const rpcPort = await freePort('127.0.0.1', false);
    // Configured as wlm configures its agents: timings, and the installation's keys, from a file.
    const configDir = mkdtempSync(join(tmpdir(), 'wlm-test-serf-'));
    const { encryptKey, rpcAuthKey } = loadConfig().serf;
    const configFile = writeSerfAgentConfig(join(configDir, 'agent.json'), { encryptKey, rpcAuthKey });
    const args = [
      'agent',
      `-node=${options.name}`,
      `-bind=127.0.0.1:${bindPort}`,
      `-rpc-addr=127.0.0.1:${rpcPort}`,
      `-config-file=${configFile}`,
      '-log-level=warn',
      ...(options.join ?? []).map((addr) => `-join=${addr}`),
      ...Object.entries(options.tags ?? {}).flatMap(([k, v]) => ['-tag', `${k}=${v}`]),
    ];
    const child = spawn('serf', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: string[] = [];
    child.stdout?.on('data', (d: Buffer) => chunks.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => chunks.push(d.toString()));
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        rmSync(configDir, { recursive: true, force: true });
        resolve();
      }),
    );
    const agent: SerfAgent = {
      name: options.name,
      bindAddr: `127.0.0.1:${bindPort}`,
      rpcAddr: `127.0.0.1:${rpcPort}`,
      child,
      output: () => chunks.join(''),
      exited,
    };
    this.running.add(agent);
    void exited.then(() => this.running.delete(agent));
    await waitForPort(agent, rpcPort);
    return agent;
  }

  /** Sends `signal` (SIGKILL: no graceful leave, so peers must detect a failure) and waits for the exit. */
  async kill(agent: SerfAgent, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill(signal);
    await agent.exited;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running].map((agent) => this.kill(agent)));
  }
}

async function waitForPort(agent: SerfAgent, port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (agent.child.exitCode !== null) throw new Error(`serf agent ${agent.name} exited:\n${agent.output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`serf agent ${agent.name} did not open ${agent.rpcAddr}:\n${agent.output()}`);
}

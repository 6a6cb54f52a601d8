import { freePort } from '@wlm/commons';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real `serf agent` child process on 127.0.0.1, started by a test. */
export interface SerfAgent {
  name: string;
  /** Gossip address, `127.0.0.1:port`. */
  bindAddr: string;
  bindPort: number;
  /** RPC address, `127.0.0.1:port`. */
  rpcAddr: string;
  rpcPort: number;
  child: ChildProcess;
  /** Everything the agent printed, for failure messages. */
  output: () => string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

export interface SerfAgentOptions {
  name: string;
  /** Reuse ports, e.g. to restart an agent where it was. Free ports are picked otherwise. */
  bindPort?: number;
  rpcPort?: number;
  /** Gossip addresses to join at start. */
  join?: string[];
  tags?: Record<string, string>;
  /** RPC auth key; the agent has no `-rpc-auth` flag, so it goes in a config file. */
  authKey?: string;
}

/** Starts and tracks agents; {@link stopAll} kills whatever is still running and removes temp dirs. */
export class SerfAgents {
  private readonly running = new Set<SerfAgent>();
  private readonly dirs: string[] = [];

  async start(options: SerfAgentOptions): Promise<SerfAgent> {
    const bindPort = options.bindPort ?? (await freePort('127.0.0.1', true));
    const rpcPort = options.rpcPort ?? (await freePort('127.0.0.1', false));
    const args = [
      'agent',
      `-node=${options.name}`,
      `-bind=127.0.0.1:${bindPort}`,
      `-rpc-addr=127.0.0.1:${rpcPort}`,
      '-log-level=info',
      ...(options.join ?? []).map((addr) => `-join=${addr}`),
      ...Object.entries(options.tags ?? {}).flatMap(([k, v]) => ['-tag', `${k}=${v}`]),
    ];
    if (options.authKey !== undefined) {
      const dir = mkdtempSync(join(tmpdir(), 'wlm-serf-it-'));
      this.dirs.push(dir);
      const file = join(dir, 'agent.json');
      writeFileSync(file, JSON.stringify({ rpc_auth: options.authKey }));
      args.push(`-config-file=${file}`);
    }
    const child = spawn('serf', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: string[] = [];
    child.stdout?.on('data', (d: Buffer) => chunks.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => chunks.push(d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const agent: SerfAgent = {
      name: options.name,
      bindAddr: `127.0.0.1:${bindPort}`,
      bindPort,
      rpcAddr: `127.0.0.1:${rpcPort}`,
      rpcPort,
      child,
      output: () => chunks.join(''),
      exited,
    };
    this.running.add(agent);
    void exited.then(() => this.running.delete(agent));
    await waitForPort(agent);
    return agent;
  }

  /** Sends `signal` and waits for the process to exit. */
  async kill(agent: SerfAgent, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill(signal);
    await agent.exited;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running].map((agent) => this.kill(agent)));
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/** Polls until the agent's RPC port accepts connections; fails fast if the agent exits. */
async function waitForPort(agent: SerfAgent, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (agent.child.exitCode !== null) throw new Error(`serf agent ${agent.name} exited:\n${agent.output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(agent.rpcPort, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `serf agent ${agent.name} did not open ${agent.rpcAddr} in ${timeoutMs} ms:\n${agent.output()}`,
  );
}

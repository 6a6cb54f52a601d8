import { loadConfig } from '@wlm/commons/config';
import { freePort, portOpen } from '@wlm/commons/net';
import { writeSerfAgentConfig } from '@wlm/commons/serf';
import type { SerfAgentSettings, SerfRpcClientOptions } from '@wlm/commons/serf';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SerfAgentOptions {
  /** The node name. */
  readonly name: string;
  /** Gossip addresses to join at start. */
  readonly join?: readonly string[];
  /** Where gossip listens (default 127.0.0.1); RPC always listens on 127.0.0.1. */
  readonly bindHost?: string;
  /** Reuse a port, e.g. to restart an agent where it was; a free port is picked otherwise. */
  readonly bindPort?: number;
  readonly rpcPort?: number;
  readonly tags?: Readonly<Record<string, string>>;
  /** The gossip and RPC keys; default: the installation's, which wlm's processes use by default too. */
  readonly keys?: SerfAgentSettings;
  /** How long the agent may take to open its RPC port (default 10 s). */
  readonly startTimeoutMs?: number;
}

const LOOPBACK = '127.0.0.1';
const DEFAULT_START_TIMEOUT_MS = 10_000;
/** Starts of an agent on ports picked here, when another process took one of them first. */
const PORT_ATTEMPTS = 3;
/** How long a signal other than SIGKILL may take to end the agent before it is SIGKILLed. */
const STOP_GRACE_MS = 5_000;
/** The agent's output kept for failure messages: its last lines are what explain a failure. */
const OUTPUT_LIMIT = 16_384;

/**
 * The one launcher of `serf agent` processes for every package's tests and for the benchmarks: an
 * agent of the caller's own on free ports (never the stack's agent, so other test files' members
 * never mix in), configured as wlm configures the agents it starts — timings and keys in a
 * `-config-file`.
 *
 * @example
 * const seed = await SerfAgent.start({ name: `${namespace}-seed` });
 * const peer = await SerfAgent.start({ name: `${namespace}-peer`, join: [seed.bindAddr] });
 * // ... await peer.stop(); await seed.stop();
 */
export class SerfAgent {
  private constructor(
    readonly name: string,
    /** Gossip address, `host:port`: what other agents and workers `--join`. */
    readonly bindAddr: string,
    readonly bindPort: number,
    /** RPC address, `127.0.0.1:port`: what a scheduler or a test's RPC client reads. */
    readonly rpcAddr: string,
    readonly rpcPort: number,
    /** The `-config-file` it was started with (timings and keys); removed once it has exited. */
    readonly configFile: string,
    private readonly keys: SerfAgentSettings,
    private readonly agentProcess: AgentProcess,
  ) {}

  /**
   * Ports picked here are free when picked, but another process may take one before the agent binds
   * it (the suite starts many agents side by side): an agent that exits on a port in use is started
   * again on new ones. Ports the caller chose are not changed.
   */
  static async start(options: SerfAgentOptions): Promise<SerfAgent> {
    const picksPorts = options.bindPort === undefined || options.rpcPort === undefined;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await SerfAgent.startOnce(options);
      } catch (error) {
        const portTaken = error instanceof Error && error.message.includes('address already in use');
        if (!picksPorts || !portTaken || attempt >= PORT_ATTEMPTS) throw error;
      }
    }
  }

  private static async startOnce(options: SerfAgentOptions): Promise<SerfAgent> {
    const bindHost = options.bindHost ?? LOOPBACK;
    const bindPort = options.bindPort ?? (await freePort(bindHost, true));
    const rpcPort = options.rpcPort ?? (await freePort(LOOPBACK, false));
    const keys = options.keys ?? installationKeys();
    const configDir = mkdtempSync(joinPath(tmpdir(), 'wlm-test-serf-'));
    const configFile = writeSerfAgentConfig(joinPath(configDir, 'agent.json'), keys);
    const child = spawn(
      'serf',
      [
        'agent',
        `-node=${options.name}`,
        `-bind=${bindHost}:${bindPort}`,
        `-rpc-addr=${LOOPBACK}:${rpcPort}`,
        `-config-file=${configFile}`,
        '-log-level=warn',
        ...(options.join ?? []).map((addr) => `-join=${addr}`),
        ...Object.entries(options.tags ?? {}).flatMap(([key, value]) => ['-tag', `${key}=${value}`]),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const agent = new SerfAgent(
      options.name,
      `${bindHost}:${bindPort}`,
      bindPort,
      `${LOOPBACK}:${rpcPort}`,
      rpcPort,
      configFile,
      keys,
      new AgentProcess(child, configDir),
    );
    try {
      await agent.waitForRpc(options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    } catch (error) {
      await agent.stop();
      throw error;
    }
    return agent;
  }

  /** True until the process has exited. */
  get running(): boolean {
    return !this.agentProcess.hasExited;
  }

  /** Resolves once the process has exited and its config dir is gone, e.g. after an RPC `leave`. */
  get exited(): Promise<void> {
    return this.agentProcess.exited;
  }

  /** What a `SerfRpcClient` needs to reach this agent: its RPC address and key. */
  rpcClientOptions(): SerfRpcClientOptions {
    const { rpcAuthKey } = this.keys;
    return { addr: this.rpcAddr, ...(rpcAuthKey === undefined ? {} : { authKey: rpcAuthKey }) };
  }

  /**
   * Sends `signal` (SIGKILL: no graceful leave, so peers must detect a failure) and waits until the
   * process has exited and its config dir is gone; an agent that outlives another signal is SIGKILLed.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.agentProcess.end(signal);
  }

  /** Kills the agent (no leave) and reaps it; safe to call again or after it exited. */
  async stop(): Promise<void> {
    await this.agentProcess.end('SIGKILL');
  }

  private async waitForRpc(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.agentProcess.hasExited) {
        throw new Error(
          `serf agent ${this.name} exited before opening ${this.rpcAddr}: ${this.agentProcess.describe()}`,
        );
      }
      if (await portOpen(LOOPBACK, this.rpcPort)) return;
      if (Date.now() > deadline) {
        throw new Error(
          `serf agent ${this.name} did not open ${this.rpcAddr} within ${timeoutMs} ms: ${this.agentProcess.describe()}`,
        );
      }
      await sleep(50);
    }
  }
}

/** The child process, the output it printed, and the config dir removed once it has exited. */
class AgentProcess {
  private output = '';
  private spawnError: Error | undefined;
  private exitedFlag = false;
  readonly exited: Promise<void>;

  constructor(
    private readonly child: ChildProcess,
    configDir: string,
  ) {
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-OUTPUT_LIMIT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise<void>((resolve) => {
      const done = (): void => {
        this.exitedFlag = true;
        rmSync(configDir, { recursive: true, force: true });
        resolve();
      };
      child.once('exit', done);
      // A spawn failure (no `serf` on the PATH) emits 'error' and no 'exit'.
      child.once('error', (error) => {
        this.spawnError = error;
        done();
      });
    });
  }

  get hasExited(): boolean {
    return this.exitedFlag;
  }

  describe(): string {
    if (this.spawnError !== undefined)
      return `could not run serf (${this.spawnError.message}); is it on the PATH?`;
    const { exitCode, signalCode } = this.child;
    const ending = exitCode !== null ? `exit code ${exitCode}` : (signalCode ?? 'still running');
    return `${ending}; its output:\n${this.output}`;
  }

  async end(signal: NodeJS.Signals): Promise<void> {
    if (this.exitedFlag) return this.exited;
    this.child.kill(signal);
    if (signal !== 'SIGKILL') {
      const escalate = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited.finally(() => clearTimeout(escalate));
    }
    return this.exited;
  }
}

/**
 * Agents one test file started, so that its `afterAll` reaps whatever is still running, including
 * agents a failed test left behind.
 */
export class SerfAgents {
  private readonly started = new Set<SerfAgent>();

  async start(options: SerfAgentOptions): Promise<SerfAgent> {
    const agent = await SerfAgent.start(options);
    this.started.add(agent);
    return agent;
  }

  async stopAll(): Promise<void> {
    const agents = [...this.started];
    this.started.clear();
    await Promise.all(agents.map((agent) => agent.stop()));
  }
}

/** The installation's Serf keys (config file or environment). */
export function installationKeys(): SerfAgentSettings {
  const { encryptKey, rpcAuthKey } = loadConfig().serf;
  return { encryptKey, rpcAuthKey };
}

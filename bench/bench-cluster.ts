import { freePort } from '@wlm/commons';
/**
 * The wlm services of the throughput benchmark as child processes, the way they run in production:
 * a Serf agent of the benchmark's own (so no other workers mix in), `wlm scheduler` and `wlm worker`s
 * from the built CLI, on a fresh namespace that `stop()` deletes.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import { WlmTopology, deleteTopology, mergeTopology } from '@wlm/commons';

const CLI = join(__dirname, '..', '..', 'scripts', 'dist', 'cli.js');
const START_TIMEOUT_MS = 60_000;

export interface BenchClusterOptions {
  readonly url: string;
  readonly workers: number;
  readonly slots: number;
  readonly onProgress?: (message: string) => void;
}

/** A child process whose stderr JSON log lines are watched; only a tail of its output is kept. */
class Service {
  readonly exited: Promise<void>;
  private tail = '';
  private partial = '';
  private readonly messages: { msg: string; workerId?: string }[] = [];

  constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stdout?.on('data', (chunk: Buffer) => this.keep(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.onStderr(chunk.toString()));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  logged(msg: string, workerId?: string): boolean {
    return this.messages.some((m) => m.msg === msg && (workerId === undefined || m.workerId === workerId));
  }

  async waitFor(what: string, ready: () => boolean): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!ready()) {
      if (!this.running) throw new Error(`${this.label} exited before ${what}:\n${this.tail}`);
      if (Date.now() > deadline)
        throw new Error(`${this.label}: no ${what} after ${START_TIMEOUT_MS} ms:\n${this.tail}`);
      await sleep(50);
    }
  }

  /** SIGTERM (graceful), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.running && this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private keep(text: string): void {
    this.tail = (this.tail + text).slice(-4000);
  }

  private onStderr(text: string): void {
    this.keep(text);
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      // Only the few lines the benchmark waits for are parsed and kept: a long run logs a lot.
      if (!line.includes('"worker joined"') && !line.includes('"scheduler running"')) continue;
      try {
        const record = JSON.parse(line) as { msg?: unknown; workerId?: unknown };
        if (typeof record.msg === 'string') {
          this.messages.push({
            msg: record.msg,
            ...(typeof record.workerId === 'string' ? { workerId: record.workerId } : {}),
          });
        }
      } catch {
        // Not a log line after all.
      }
    }
  }
}

function cli(label: string, args: readonly string[], env: Record<string, string>): Service {
  const child = spawn(process.execPath, [CLI, ...args], {
    // Many services on one host: each takes a free metrics port rather than the fixed defaults.
    env: { WLM_METRICS_SCHEDULER_PORT: '0', WLM_METRICS_WORKER_PORT: '0', ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Service(label, child);
}

export class BenchCluster {
  readonly workerIds: string[];
  private readonly services: Service[] = [];
  private serf: ChildProcess | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly options: BenchClusterOptions,
    readonly topology: WlmTopology,
  ) {
    this.workerIds = Array.from({ length: options.workers }, (_, i) => `${topology.namespace}-w${i + 1}`);
  }

  get namespace(): string {
    return this.topology.namespace;
  }

  /** Starts everything and resolves once the scheduler knows every worker; stops what started on failure. */
  static async start(options: BenchClusterOptions): Promise<BenchCluster> {
    const cluster = new BenchCluster(options, new WlmTopology(`wlmbench${randomBytes(4).toString('hex')}`));
    try {
      await cluster.startAll();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  private async startAll(): Promise<void> {
    const say = this.options.onProgress ?? (() => undefined);
    const bindPort = await freePort('127.0.0.1', true);
    const rpcPort = await freePort('127.0.0.1', false);
    this.serf = spawn(
      'serf',
      [
        'agent',
        `-node=${this.namespace}-seed`,
        `-bind=127.0.0.1:${bindPort}`,
        `-rpc-addr=127.0.0.1:${rpcPort}`,
        '-log-level=warn',
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    while (!(await accepts(rpcPort))) {
      if (Date.now() > deadline) throw new Error(`serf agent did not open 127.0.0.1:${rpcPort}`);
      await sleep(50);
    }
    say(`serf agent on 127.0.0.1:${bindPort}; starting a scheduler and ${this.workerIds.length} workers`);
    const scheduler = cli(
      'scheduler',
      ['scheduler', '--namespace', this.namespace, '--instance-id', `${this.namespace}-s1`],
      // info, for its "worker joined" lines; nothing is logged per task at that level.
      {
        WLM_SERF_RPC_ADDR: `127.0.0.1:${rpcPort}`,
        WLM_LOG_LEVEL: 'info',
        WLM_RABBITMQ_URL: this.options.url,
      },
    );
    this.services.push(scheduler);
    const workers = this.workerIds.map((workerId) =>
      cli(
        workerId,
        ['worker', '--name', workerId, '--tasks', 'echo', '--slots', String(this.options.slots)].concat([
          '--namespace',
          this.namespace,
          '--join',
          `127.0.0.1:${bindPort}`,
          '--drain-timeout',
          '5',
        ]),
        { WLM_LOG_LEVEL: 'warn', WLM_RABBITMQ_URL: this.options.url },
      ),
    );
    this.services.push(...workers);
    await scheduler.waitFor('"scheduler running"', () => scheduler.logged('scheduler running'));
    for (const workerId of this.workerIds) {
      await scheduler.waitFor(`"worker joined" of ${workerId}`, () =>
        scheduler.logged('worker joined', workerId),
      );
    }
    say(`scheduler and ${this.workerIds.length} workers × ${this.options.slots} slots running`);
  }

  /**
   * Deletes the orchestrator's event queue. The mock orchestrator reads the events from a queue of
   * its own, so with no orchestrator running that queue only collects a persistent copy of every
   * event that nobody reads — work for the broker that a real installation, whose orchestrator
   * reads that queue instead, does not do.
   */
  async removeOrchestratorQueue(): Promise<void> {
    const model = await connect(this.options.url);
    try {
      const channel = await model.createChannel();
      await channel.deleteQueue(this.topology.queues.orchestratorEvents);
    } finally {
      await model.close();
    }
  }

  /** Scheduler first, then workers, the Serf agent, and the namespace's queues and exchanges. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const [scheduler, ...workers] = this.services;
    await scheduler?.stop();
    await Promise.allSettled(workers.map((worker) => worker.stop()));
    if (this.serf !== undefined && this.serf.exitCode === null) {
      const exited = new Promise((resolve) => this.serf?.once('exit', resolve));
      this.serf.kill('SIGKILL');
      await exited;
    }
    const model = await connect(this.options.url);
    try {
      const channel = await model.createChannel();
      const spec = mergeTopology(
        this.topology.core(),
        ...this.workerIds.map((id) => this.topology.worker(id)),
      );
      await deleteTopology(channel, spec);
    } finally {
      await model.close();
    }
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * The wlm services of the throughput benchmark as child processes, the way they run in production:
 * a Serf agent of the benchmark's own (so no other workers mix in), `wlm scheduler` and `wlm worker`s
 * from the built CLI, on a fresh namespace that `stop()` deletes.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import { WlmTopology, deleteTopology, mergeTopology } from '@wlm/commons/amqp';
import { freePort } from '@wlm/commons/net';
import type { NetnsLab } from '@wlm/scripts';
import { SerfAgent } from '@wlm/test-support';
import { residentBytes } from './service-memory';
import { BENCH_TASK_TYPE } from './shapes';
import type { MemorySample } from './service-memory';

/** The built CLI, found through the workspace's package so it resolves from `dist/` and from sources alike. */
const CLI = join(dirname(require.resolve('@wlm/scripts/package.json')), 'dist', 'cli.js');
const START_TIMEOUT_MS = 60_000;

export interface BenchClusterOptions {
  readonly url: string;
  readonly workers: number;
  readonly slots: number;
  /** Default `wlmbench<random>`. */
  readonly namespace?: string;
  readonly onProgress?: (message: string) => void;
  /** Log messages of the services to keep, with their time, beyond those the start waits for. */
  readonly watch?: readonly string[];
  /**
   * Run the workers on the hosts of this lab (round robin), each with its own agent on the host's
   * address; the seed agent binds the lab's gateway and RabbitMQ is forwarded to the hosts.
   */
  readonly lab?: NetnsLab;
}

/** A child process whose stderr JSON log lines are watched; only a tail of its output is kept. */
class Service {
  readonly exited: Promise<void>;
  private tail = '';
  private partial = '';
  private readonly messages: { msg: string; workerId?: string; time?: number }[] = [];

  constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    private readonly watch: readonly string[] = [],
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stdout?.on('data', (chunk: Buffer) => this.keep(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.onStderr(chunk.toString()));
    const logDir = process.env['WLM_BENCH_LOG_DIR'];
    if (logDir !== undefined && logDir !== '') {
      mkdirSync(logDir, { recursive: true });
      child.stderr?.pipe(createWriteStream(join(logDir, `${label}.log`)));
    }
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Its process id while it runs. */
  get pid(): number | undefined {
    return this.running ? this.child.pid : undefined;
  }

  /** Its resident memory now, in bytes; `undefined` once it exited. */
  residentBytes(): number | undefined {
    const pid = this.pid;
    return pid === undefined ? undefined : residentBytes(pid);
  }

  logged(msg: string, workerId?: string): boolean {
    return this.loggedAt(msg, workerId) !== undefined;
  }

  /** When the service logged `msg` (about `workerId`) first, per its log line's `time`. */
  loggedAt(msg: string, workerId?: string): number | undefined {
    const found = this.messages.find(
      (m) => m.msg === msg && (workerId === undefined || m.workerId === workerId),
    );
    return found === undefined ? undefined : (found.time ?? 0);
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async waitFor(what: string, ready: () => boolean | Promise<boolean>): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await ready())) {
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
      const kept = ['worker joined', 'scheduler running', ...this.watch];
      if (!kept.some((msg) => line.includes(`"${msg}"`))) continue;
      try {
        const record = JSON.parse(line) as { msg?: unknown; workerId?: unknown; time?: unknown };
        if (typeof record.msg === 'string') {
          this.messages.push({
            msg: record.msg,
            ...(typeof record.workerId === 'string' ? { workerId: record.workerId } : {}),
            ...(typeof record.time === 'number' ? { time: record.time } : {}),
          });
        }
      } catch {
        // Not a log line after all.
      }
    }
  }
}

/**
 * `WLM_BENCH_CPU_PROF=DIR` makes every service write a V8 CPU profile into DIR when it exits (open
 * them in Chrome DevTools or speedscope): where each service spends its time under the bench.
 */
function profileFlags(label: string): string[] {
  const dir = process.env['WLM_BENCH_CPU_PROF'];
  return dir === undefined || dir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(dir, label)}`];
}

/**
 * `WLM_BENCH_LOG_DIR=DIR` keeps each service's whole log in DIR/<service>.log, and
 * `WLM_BENCH_LOG_LEVEL` sets their level (`debug`: the orchestrator times each event batch).
 */
function cli(
  label: string,
  args: readonly string[],
  env: Record<string, string>,
  options: { watch?: readonly string[]; netns?: string } = {},
): Service {
  const level = process.env['WLM_BENCH_LOG_LEVEL'];
  const argv = [process.execPath, ...profileFlags(label), CLI, ...args];
  const [command, ...rest] =
    options.netns === undefined ? argv : ['ip', 'netns', 'exec', options.netns, ...argv];
  const child = spawn(command ?? process.execPath, rest, {
    // Many services on one host: each takes a free metrics port rather than the fixed defaults.
    env: {
      WLM_METRICS_SCHEDULER_PORT: '0',
      WLM_METRICS_WORKER_PORT: '0',
      ...process.env,
      ...env,
      ...(level === undefined || level === '' ? {} : { WLM_LOG_LEVEL: level }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Service(label, child, options.watch);
}

export class BenchCluster {
  readonly workerIds: string[];
  private readonly services: Service[] = [];
  private serf: SerfAgent | undefined;
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
    const namespace = options.namespace ?? `wlmbench${randomBytes(4).toString('hex')}`;
    const cluster = new BenchCluster(options, new WlmTopology(namespace));
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
    const { lab } = this.options;
    // The workers' seed: on the lab's gateway when they run on the lab's hosts.
    const serf = await SerfAgent.start({
      name: `${this.namespace}-seed`,
      bindHost: lab?.gateway ?? '127.0.0.1',
    });
    this.serf = serf;
    say(`serf agent on ${serf.bindAddr}; starting a scheduler and ${this.workerIds.length} workers`);
    let workerUrl = this.options.url;
    if (lab !== undefined) {
      const broker = new URL(this.options.url);
      const forwarded = new URL(this.options.url);
      forwarded.host = await lab.forward(broker.hostname, Number(broker.port || 5672));
      workerUrl = forwarded.toString();
    }
    const scheduler = cli(
      'scheduler',
      ['scheduler', '--namespace', this.namespace, '--instance-id', `${this.namespace}-s1`],
      // info, for its "worker joined" lines; nothing is logged per task at that level.
      {
        WLM_SERF_RPC_ADDR: serf.rpcAddr,
        WLM_LOG_LEVEL: 'info',
        WLM_RABBITMQ_URL: this.options.url,
      },
      { watch: this.options.watch ?? [] },
    );
    this.services.push(scheduler);
    const workers = this.workerIds.map((workerId, i) => {
      const host = lab?.hosts[i % lab.hosts.length];
      return cli(
        workerId,
        [
          'worker',
          '--name',
          workerId,
          '--tasks',
          BENCH_TASK_TYPE,
          '--slots',
          String(this.options.slots),
        ].concat([
          '--namespace',
          this.namespace,
          '--join',
          serf.bindAddr,
          '--drain-timeout',
          '5',
          ...(host === undefined ? [] : ['--serf-bind', host.address]),
        ]),
        { WLM_LOG_LEVEL: 'warn', WLM_RABBITMQ_URL: workerUrl },
        host === undefined ? {} : { netns: host.netns },
      );
    });
    this.services.push(...workers);
    await scheduler.waitFor('"scheduler running"', () => scheduler.logged('scheduler running'));
    for (const workerId of this.workerIds) {
      await scheduler.waitFor(`"worker joined" of ${workerId}`, () =>
        scheduler.logged('worker joined', workerId),
      );
    }
    say(`scheduler and ${this.workerIds.length} workers × ${this.options.slots} slots running`);
  }

  /** The scheduler: its kept log lines tell when it saw what. */
  get scheduler(): Service {
    const [scheduler] = this.services;
    if (scheduler === undefined) throw new Error('the cluster has not started');
    return scheduler;
  }

  /** Sends `signal` to a worker process (SIGKILL: a crash). */
  signalWorker(workerId: string, signal: NodeJS.Signals): void {
    this.services[1 + this.workerIds.indexOf(workerId)]?.kill(signal);
  }

  /**
   * Starts `wlm orchestrator` on the namespace, with its own MySQL database (`mysqlUrl`), its API on
   * a free port with bearer `token`, and resolves with the API's URL once it answers and the
   * orchestrator leads. Stopped with the rest, before the scheduler.
   */
  async startOrchestrator(mysqlUrl: string, token: string): Promise<string> {
    const port = await freePort('127.0.0.1', false);
    const apiUrl = `http://127.0.0.1:${port}`;
    const orchestrator = cli(
      'orchestrator',
      ['orchestrator', '--namespace', this.namespace, '--instance-id', `${this.namespace}-o1`],
      {
        WLM_LOG_LEVEL: 'warn',
        WLM_RABBITMQ_URL: this.options.url,
        WLM_MYSQL_URL: mysqlUrl,
        WLM_HTTP_PORT: String(port),
        WLM_API_TOKEN: token,
      },
    );
    this.services.unshift(orchestrator);
    const leads = async (): Promise<boolean> => {
      try {
        const response = await fetch(`${apiUrl}/healthz`, { headers: { authorization: `Bearer ${token}` } });
        return response.ok && ((await response.json()) as { leader?: unknown }).leader === true;
      } catch {
        return false;
      }
    };
    await orchestrator.waitFor('a leading orchestrator', leads);
    return apiUrl;
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

  /** The resident memory of each running service, in bytes, by label (orchestrator, scheduler, w1, …). */
  residentMemory(): MemorySample {
    const sample: Record<string, number> = {};
    for (const service of this.services) {
      const bytes = service.residentBytes();
      if (bytes !== undefined) sample[service.label] = bytes;
    }
    return sample;
  }

  /**
   * What runs as `pid`: one of the services by its role (every worker is `workers`), a task process
   * of a worker, or neither.
   */
  roleOf(pid: number, ppid: number): 'orchestrator' | 'scheduler' | 'workers' | 'task processes' | undefined {
    for (const service of this.services) {
      const worker = this.workerIds.includes(service.label);
      if (service.pid === pid) return worker ? 'workers' : (service.label as 'orchestrator' | 'scheduler');
      if (worker && service.pid === ppid) return 'task processes';
    }
    return undefined;
  }

  /** Scheduler first, then workers, the Serf agent, and the namespace's queues and exchanges. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const orchestrator = this.services.find((service) => service.label === 'orchestrator');
    await orchestrator?.stop();
    const [scheduler, ...workers] = this.services.filter((service) => service !== orchestrator);
    await scheduler?.stop();
    await Promise.allSettled(workers.map((worker) => worker.stop()));
    await this.serf?.stop();
    const model = await connect(this.options.url);
    try {
      const channel = await model.createChannel();
      // The scheduler declares the task type's request queue beside the core: it goes too.
      const spec = mergeTopology(
        this.topology.core(),
        this.topology.requests(BENCH_TASK_TYPE),
        ...this.workerIds.map((id) => this.topology.worker(id)),
      );
      await deleteTopology(channel, spec);
    } finally {
      await model.close();
    }
  }
}

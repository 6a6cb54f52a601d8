/**
 * BullMQ's FlowProducer on the bench's shapes: the peer a Node user would otherwise pick, run on the
 * same machine in the same run. Worker processes as wlm's (3 × concurrency 16), no-op jobs, the
 * Redis on 127.0.0.1:6379 (`wlm stack up --with-redis`). A shape becomes a flow per experiment: a
 * parent runs after its children, so a chain is a nest of parents and a fan-in a parent of many; a
 * single root that fans out adds the rest of the graph as a flow when it runs (bullmq-worker.ts).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { FlowProducer, Queue } from 'bullmq';
import type { FlowJob } from 'bullmq';
import { Redis } from 'ioredis';
import { overheadOf } from './overhead';
import type { LatencyFigures, TaskTimes } from './overhead';
import type { CpuPerTask } from './cpu-usage';
import type { Shape } from './shapes';
import { taskCount } from './shapes';

const WORKER = join(__dirname, 'bullmq-worker.js');
/** Flows per addBulk call: one call per experiment would measure round trips, not BullMQ. */
const FLOWS_PER_CALL = 100;

export interface BullmqOptions {
  readonly host: string;
  readonly port: number;
  readonly queuePrefix: string;
  readonly workers: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly onProgress: (message: string) => void;
  readonly signal: AbortSignal;
}

export interface ShapeRun {
  readonly shape: string;
  readonly experiments: number;
  readonly tasks: number;
  /** Tasks that ran; fewer than `tasks` when the run hit its time limit. */
  readonly completedTasks: number;
  readonly timedOut: boolean;
  readonly elapsedMs: number;
  readonly tasksPerSecond: number;
  readonly experimentsPerSecond: number;
  readonly overheadMs: LatencyFigures;
  /** What the run cost the machine's CPU per task, and by whom; set by the bench around the run. */
  readonly cpu?: CpuPerTask;
}

/** Whether a Redis answers PING there; the reason when not. */
export async function redisAnswers(host: string, port: number): Promise<string | undefined> {
  const redis = new Redis({
    host,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return `no Redis answers on ${host}:${port} (${(error as Error).message}); start one with \`wlm stack up --with-redis\``;
  } finally {
    redis.disconnect();
  }
}

/** The shape's graph as one BullMQ flow for `experiment`. Throws for a graph that is not a tree. */
export function flowOf(shape: Shape, experiment: string, queueName: string): FlowJob {
  const successors = new Map<string, number>();
  for (const task of shape.tasks)
    for (const dependency of task.after) successors.set(dependency, (successors.get(dependency) ?? 0) + 1);
  const roots = shape.tasks.filter((task) => task.after.length === 0);
  const sinks = shape.tasks.filter((task) => !successors.has(task.id));
  const root = roots[0];
  const sink = sinks[0];
  if (roots.length !== 1 || sinks.length !== 1 || root === undefined || sink === undefined)
    throw new RangeError(`shape ${shape.name} needs exactly one root and one sink to become a flow`);
  const spawnsRest = (successors.get(root.id) ?? 0) > 1;
  const byId = new Map(shape.tasks.map((task) => [task.id, task]));
  const build = (id: string): FlowJob => {
    const dependencies = (byId.get(id)?.after ?? []).filter((d) => !(spawnsRest && d === root.id));
    for (const d of dependencies)
      if ((successors.get(d) ?? 0) > 1) throw new RangeError(`task ${d} of ${shape.name} has two parents`);
    return {
      name: `${experiment}/${id}`,
      queueName,
      data: {},
      ...(dependencies.length > 0 ? { children: dependencies.map(build) } : {}),
    };
  };
  if (!spawnsRest) return build(sink.id);
  return { name: `${experiment}/${root.id}`, queueName, data: { spawn: build(sink.id) } };
}

class WorkerProcess {
  done = 0;
  readonly ready: Promise<void>;
  private readonly exited: Promise<void>;
  private reportWaiter: ((times: [string, number, number][]) => void) | undefined;

  constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`a BullMQ worker process exited (code ${code})`)));
      child.on('message', (message: { kind: string; count?: number; times?: [string, number, number][] }) => {
        if (message.kind === 'ready') resolve();
        else if (message.kind === 'done') this.done = message.count ?? this.done;
        else if (message.kind === 'report') this.reportWaiter?.(message.times ?? []);
      });
    });
  }

  report(): Promise<[string, number, number][]> {
    return new Promise((resolve) => {
      this.reportWaiter = resolve;
      this.child.send({ kind: 'report' });
    });
  }

  async stop(): Promise<void> {
    if (this.child.connected) this.child.send({ kind: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Runs one shape on a queue of its own, obliterated afterwards. */
export async function runBullmqShape(shape: Shape, options: BullmqOptions): Promise<ShapeRun> {
  const queueName = `${options.queuePrefix}-${shape.name}`;
  const connection = { host: options.host, port: options.port, maxRetriesPerRequest: null };
  const queue = new Queue(queueName, { connection });
  const producer = new FlowProducer({ connection });
  const workers = Array.from(
    { length: options.workers },
    () =>
      new WorkerProcess(
        fork(WORKER, [queueName, String(options.concurrency), options.host, String(options.port)], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      ),
  );
  try {
    await queue.obliterate({ force: true });
    await Promise.all(workers.map((worker) => worker.ready));
    const experiments = Array.from({ length: shape.experiments }, (_, i) => `e${i}`);
    const total = taskCount(shape);
    const startedAt = Date.now();
    const deadline = startedAt + options.timeoutMs;
    for (let i = 0; i < experiments.length && Date.now() < deadline; i += FLOWS_PER_CALL) {
      options.signal.throwIfAborted();
      await producer.addBulk(
        experiments.slice(i, i + FLOWS_PER_CALL).map((e) => flowOf(shape, e, queueName)),
      );
    }
    let lastSay = 0;
    const doneCount = () => workers.reduce((sum, worker) => sum + worker.done, 0);
    while (doneCount() < total && Date.now() < deadline) {
      options.signal.throwIfAborted();
      if (Date.now() - lastSay >= 2000) {
        lastSay = Date.now();
        options.onProgress(
          `bullmq ${shape.name}: ${doneCount()}/${total} tasks, ${Math.round((Date.now() - startedAt) / 1000)} s`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const records = (await Promise.all(workers.map((worker) => worker.report()))).flat();
    const times = new Map<string, TaskTimes>(
      records.map(([name, s, e]) => [name, { startedAt: s, endedAt: e }]),
    );
    const lastEnd = Math.max(startedAt, ...records.map(([, , e]) => e));
    const elapsedMs = lastEnd - startedAt;
    const completedExperiments = experiments.filter((e) =>
      shape.tasks.every((task) => times.has(`${e}/${task.id}`)),
    ).length;
    return {
      shape: shape.name,
      experiments: shape.experiments,
      tasks: total,
      completedTasks: records.length,
      timedOut: records.length < total,
      elapsedMs,
      tasksPerSecond: perSecond(records.length, elapsedMs),
      experimentsPerSecond: perSecond(completedExperiments, elapsedMs),
      overheadMs: overheadOf(shape, experiments, (e, id) => times.get(`${e}/${id}`)),
    };
  } finally {
    await Promise.allSettled(workers.map((worker) => worker.stop()));
    await queue.obliterate({ force: true }).catch(() => undefined);
    await producer.close();
    await queue.close();
  }
}

export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? Math.round((count * 100_000) / elapsedMs) / 100 : 0;
}

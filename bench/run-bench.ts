/**
 * `npm run bench`: every system on the same shapes, in one process tree and one run (bench/README.md).
 *
 * 1. the raw 3-hop amqplib pipeline: the floor;
 * 2. BullMQ's FlowProducer over Redis, 3 worker processes × concurrency 16;
 * 3. wlm's mock path: scheduler + 3 workers × 16 slots driven by the mock orchestrator;
 * 4. wlm's whole path: the same plus a real orchestrator, experiments created through the API.
 *
 * Shapes: chains of 4, 1 → 50 → 1 fan-out/fan-in, one DAG of 10,002 tasks; `--quick` runs a tenth.
 * Writes bench/results/bench.json (bench-quick.json for `--quick`) and prints a table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Pool } from 'mysql2/promise';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { WlmTopology } from '@wlm/commons/amqp';
import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import { runMockOrchestrator } from '@wlm/scripts';
import { runApiShape } from './api-path';
import type { ApiPathOptions, ApiShapeRun } from './api-path';
import { BenchCluster } from './bench-cluster';
import { BenchNamespace } from './bench-namespace';
import { perSecond, redisAnswers, runBullmqShape } from './bullmq-flows';
import type { ShapeRun } from './bullmq-flows';
import { benchReport, formatReport } from './bench-report';
import { CpuMeter, cpuPerTask, serverGroupOf, wlmGroupOf } from './cpu-usage';
import { toJsonText } from './json-text';
import { memoryFlatCost, sampleMemoryDuring } from './service-memory';
import type { MemoryFlatCost } from './service-memory';
import { runRawPipeline } from './raw-amqp-pipeline';
import type { RawPipelineResult } from './raw-amqp-pipeline';
import { FULL_COUNTS, QUICK_COUNTS, benchShapes } from './shapes';
import type { Shape } from './shapes';

const WORKERS = 3;
const SLOTS = 16;
const API_CLIENTS = 8;
/** How long the paced phase submits for, at most. */
const PACED_SECONDS = 10;
const TOKEN = 'wlm-bench-token-0123456789';
/** The mock orchestrator builds DAGs of at most this many tasks. */
const MOCK_MAX_TASKS = 1000;

const SYSTEMS = ['floor', 'bullmq', 'mock', 'api'] as const;
type System = (typeof SYSTEMS)[number];

export interface BenchOptions {
  readonly quick: boolean;
  /** All four unless `--systems` names fewer (to profile or compare one change quickly). */
  readonly systems: ReadonlySet<System>;
  readonly namespace: string;
  /** Longest any one measured phase may take. */
  readonly phaseTimeoutMs: number;
  readonly redis: { host: string; port: number };
}

const HELP = `usage: npm run bench -- [--quick] [--systems LIST] [--namespace NAME] [--phase-timeout SECONDS]

Runs the raw AMQP floor, BullMQ flows, wlm's mock path and wlm's whole path through the API on the
same shapes, one after another, and writes bench/results/bench.json (bench-quick.json with --quick).
Needs the servers of \`wlm stack up --with-redis\` (Redis on redis.url, WLM_REDIS_URL) and a build
(npm run bench builds bench/ first).

  --quick              a tenth of the counts: a few minutes, to try it out
  --systems LIST       comma-separated subset of floor,bullmq,mock,api (default all); ratios to a
                       system not run are left out
  --namespace NAME     AMQP namespace, MySQL database wlmbench_NAME, experiment types NAME-*
                       (default wlmbench); refused while another wlm runs on it
  --phase-timeout S    longest one measured phase may run (default 600; 120 with --quick)
`;

function parseArgs(argv: readonly string[], redisUrl: string): BenchOptions | undefined {
  let quick = false;
  let namespace = 'wlmbench';
  let timeout: number | undefined;
  let systems: ReadonlySet<System> = new Set(SYSTEMS);
  const redis = new URL(redisUrl);
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') return undefined;
    else if (flag === '--quick') quick = true;
    else if (flag === '--systems') {
      const names = (argv[++i] ?? '').split(',');
      const unknown = names.filter((name) => !(SYSTEMS as readonly string[]).includes(name));
      if (unknown.length > 0)
        throw new RangeError(`--systems: unknown ${unknown.join(', ')}; choose from ${SYSTEMS.join(', ')}`);
      systems = new Set(names as System[]);
    } else if (flag === '--namespace') namespace = new WlmTopology(argv[++i] ?? '').namespace;
    else if (flag === '--phase-timeout') {
      const text = argv[++i] ?? '';
      timeout = Number(text);
      if (!/^\d+$/.test(text) || timeout < 10 || timeout > 3600)
        throw new RangeError('--phase-timeout must be a whole number of seconds from 10 to 3600');
    } else throw new RangeError(`unknown option ${flag} (see --help)`);
  }
  return {
    quick,
    systems,
    namespace,
    phaseTimeoutMs: (timeout ?? (quick ? 120 : 600)) * 1000,
    redis: { host: redis.hostname, port: redis.port === '' ? 6379 : Number(redis.port) },
  };
}

const say = (message: string): void => void process.stderr.write(`bench: ${message}\n`);

/** Runs one shape between two CPU snapshots and adds what it cost per task to its figures. */
async function metered<T extends ShapeRun | { shape: string; skipped: string }>(
  meter: CpuMeter,
  run: () => Promise<T>,
): Promise<T> {
  const before = meter.snapshot();
  const result = await run();
  return 'skipped' in result
    ? result
    : { ...result, cpu: cpuPerTask(before, meter.snapshot(), result.completedTasks) };
}

/** The bench itself, and the stores by name; BullMQ's workers, forked per shape, once they exited. */
const bullmqMeter = (): CpuMeter =>
  new CpuMeter(
    (proc, cmdline) => (proc.pid === process.pid ? 'bench' : serverGroupOf(proc, cmdline)),
    (proc) => (proc.pid === process.pid ? 'bullmq workers' : undefined),
  );

/** wlm's services by role and their task processes, the bench (clients, mock orchestrator), the stores. */
const wlmMeter = (cluster: BenchCluster): CpuMeter => {
  const roleOf = (pid: number, ppid: number) => cluster.roleOf(pid, ppid);
  // A worker retires task processes (idle, recycled) and waits for them: their time is its exited
  // children's.
  return new CpuMeter(wlmGroupOf(roleOf, process.pid), (proc) =>
    roleOf(proc.pid, proc.ppid) === 'workers' ? 'task processes' : undefined,
  );
};

async function runMockShape(
  cluster: BenchCluster,
  shape: Shape,
  options: BenchOptions,
  signal: AbortSignal,
): Promise<ShapeRun | { shape: string; skipped: string }> {
  const tasksPerDag = shape.tasks.length;
  if (tasksPerDag > MOCK_MAX_TASKS)
    return {
      shape: shape.name,
      skipped: `the mock orchestrator builds DAGs of ${MOCK_MAX_TASKS} tasks at most`,
    };
  const summary = await runMockOrchestrator({
    url: loadConfig().rabbitmq.url,
    logger: createLogger({ component: 'bench', level: 'warn', pretty: false }),
    namespace: cluster.namespace,
    dags: shape.experiments,
    // The mock's `fanout` of n tasks is one root, n - 2 in parallel, one join: fan50 exactly.
    shape: shape.name === 'chain4' ? 'chain' : 'fanout',
    tasksPerDag,
    seed: 1,
    sleepMs: 0,
    failTimes: 0,
    priority: 5,
    priorityMix: false,
    timeoutMs: options.phaseTimeoutMs,
    signal,
    progressIntervalMs: 2000,
    onProgress: (p) =>
      say(`mock ${shape.name}: ${p.completed}/${p.total} tasks, ${Math.round(p.elapsedMs / 1000)} s`),
  });
  const latency = summary.latency.publishToRunning.overall;
  return {
    shape: shape.name,
    experiments: shape.experiments,
    tasks: summary.tasks,
    completedTasks: summary.completed,
    timedOut: summary.outcome !== 'completed',
    elapsedMs: summary.elapsedMs,
    tasksPerSecond: summary.tasksPerSecond,
    experimentsPerSecond: perSecond(summary.dagsCompleted, summary.elapsedMs),
    // The mock publishes a dependent as soon as it sees the last COMPLETED: publish → RUNNING is
    // the overhead less the mock's own handling of that event.
    overheadMs: {
      samples: latency.count,
      p50: latency.p50Ms ?? Number.NaN,
      p99: latency.p99Ms ?? Number.NaN,
      max: latency.maxMs ?? Number.NaN,
    },
  };
}

function seedShape(experiments: number): Shape {
  return {
    name: 'seed1',
    description: `${experiments} experiments of one task`,
    experiments,
    tasks: [{ id: 't0', after: [] }],
  };
}

/**
 * Whether throughput stays flat as finished experiments accumulate: the chains created in one batch
 * with few experiments stored, then again once the seed's many more have run to the end.
 */
function flatCostOf(api: readonly ApiShapeRun[]) {
  const few = api.find((run) => run.shape === 'chain4-batch');
  const many = api.find((run) => run.shape === 'chain4-batch-stored');
  const seed = api.find((run) => run.shape === 'seed1-batch');
  if (few === undefined || many === undefined || seed === undefined) return null;
  return {
    finishedStoredBefore: api.slice(0, api.indexOf(few)).reduce((sum, run) => sum + run.experiments, 0),
    finishedStoredAfter: api.slice(0, api.indexOf(many)).reduce((sum, run) => sum + run.experiments, 0),
    tasksPerSecondFew: few.tasksPerSecond,
    tasksPerSecondMany: many.tasksPerSecond,
    ratio: Math.round((many.tasksPerSecond / few.tasksPerSecond) * 1000) / 1000,
    target: 0.8,
  };
}

/** Experiments created through the API so far, by the runs done. */
const experimentsIn = (runs: readonly ApiShapeRun[]): number =>
  runs.reduce((sum, run) => sum + run.experiments, 0);

/**
 * A real orchestrator on the cluster's namespace, then every shape through its API; with the chains,
 * the flat-cost phases, and the services' memory after few experiments and after many.
 */
async function runApiPath(
  cluster: BenchCluster,
  space: BenchNamespace,
  db: Pool,
  shapes: readonly Shape[],
  options: BenchOptions,
  signal: AbortSignal,
): Promise<{ runs: ApiShapeRun[]; memory: MemoryFlatCost | null }> {
  say('starting an orchestrator');
  const apiUrl = await cluster.startOrchestrator(space.mysqlUrl, TOKEN);
  say(`orchestrator leads, its API on ${apiUrl}`);
  const apiOptions = {
    apiUrl,
    token: TOKEN,
    db,
    typePrefix: space.typePrefix,
    clients: API_CLIENTS,
    batch: false,
    timeoutMs: options.phaseTimeoutMs,
    onProgress: say,
    signal,
  };
  const meter = wlmMeter(cluster);
  const run = (shape: Shape, shapeOptions: ApiPathOptions): Promise<ApiShapeRun> =>
    metered(meter, () => runApiShape(shape, shapeOptions));
  const runs: ApiShapeRun[] = [];
  let memory: MemoryFlatCost | null = null;
  for (const shape of shapes) {
    say(`api ${shape.name}: ${shape.description}`);
    runs.push(await run(shape, apiOptions));
  }
  const chain = shapes.find((shape) => shape.name === 'chain4');
  if (chain !== undefined) {
    say(`api ${chain.name}-async: ${chain.description}, each answered once stored (Prefer: respond-async)`);
    runs.push(await run(chain, { ...apiOptions, respondAsync: true }));
    // The batched chains run twice, with few and with many experiments finished: the services'
    // memory over each is the flat cost's memory half.
    const memoryDuring = (shape: Shape, shapeOptions: ApiPathOptions) =>
      sampleMemoryDuring(
        () => cluster.residentMemory(),
        () => run(shape, shapeOptions),
      );
    say(`api ${chain.name}-batch: ${chain.description}, created with POST /api/experiments/batch`);
    const storedBefore = experimentsIn(runs);
    const few = await memoryDuring(chain, { ...apiOptions, batch: true });
    runs.push(few.result);
    // Half of the experiments/s the chains reached created as this phase creates them — one per POST,
    // answered once started — for about PACED_SECONDS: where the overhead target is stated, instead
    // of under a burst where it is mostly queueing. Not the batch's nor the async answers' rate: those
    // let concurrent submissions share their store round trips, and half of either can be more than
    // submissions arriving one at a time sustain at all.
    const peak = runs.find((run) => run.shape === chain.name)?.experimentsPerSecond ?? 1;
    const rate = Math.max(1, Math.round(peak / 2));
    const experiments = Math.min(chain.experiments, Math.max(10, Math.round(rate * PACED_SECONDS)));
    say(
      `api ${chain.name}-paced: ${experiments} chains of 4, created one at a time at ${rate}/s (half of peak)`,
    );
    runs.push(await run({ ...chain, experiments }, { ...apiOptions, pacedRate: rate }));

    // Flat cost: the chains again, once many more finished experiments are stored.
    const stored = options.quick ? 1000 : 10_000;
    say(`api seed1-batch: ${stored} one-task experiments run to the end, to be stored`);
    runs.push(await run(seedShape(stored), { ...apiOptions, batch: true }));
    say(`api ${chain.name}-batch-stored: the chains again, with those stored`);
    const storedAfter = experimentsIn(runs);
    const many = await memoryDuring(chain, { ...apiOptions, batch: true, suffix: '-stored' });
    runs.push(many.result);
    memory = memoryFlatCost(few.memory, many.memory, storedBefore, storedAfter);
  }
  return { runs, memory };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const options = parseArgs(process.argv.slice(2), config.redis.url);
  if (options === undefined) {
    process.stdout.write(HELP);
    return;
  }
  const interrupt = new AbortController();
  // The first Ctrl-C still stops the services and removes the namespace; a second one kills at once.
  process.once('SIGINT', () => interrupt.abort());
  const signal = interrupt.signal;
  const loadAtStart = loadavg();
  const shapes = benchShapes(options.quick ? QUICK_COUNTS : FULL_COUNTS);
  const space = new BenchNamespace(options.namespace, config);
  await space.refuseWhenInUse();
  const runs = (system: System): boolean => options.systems.has(system);
  if (runs('bullmq')) {
    const noRedis = await redisAnswers(options.redis.host, options.redis.port);
    if (noRedis !== undefined) throw new Error(`BullMQ needs Redis: ${noRedis}`);
  }
  await space.clear();

  let raw: RawPipelineResult | null = null;
  if (runs('floor')) {
    say(`raw 3-hop amqplib pipeline (the floor)`);
    raw = await runRawPipeline({
      messages: options.quick ? 5000 : 20_000,
      rounds: options.quick ? 1 : 3,
      signal,
    });
    say(`floor: ${raw.burst.msgsPerSecond} msg/s`);
  }

  const bullmq: ShapeRun[] = [];
  const bullmqCpu = bullmqMeter();
  for (const shape of runs('bullmq') ? shapes : []) {
    say(`bullmq ${shape.name}: ${shape.description}`);
    bullmq.push(
      await metered(bullmqCpu, () =>
        runBullmqShape(shape, {
          ...options.redis,
          queuePrefix: options.namespace,
          workers: WORKERS,
          concurrency: SLOTS,
          timeoutMs: options.phaseTimeoutMs,
          onProgress: say,
          signal,
        }),
      ),
    );
  }

  const mock: (ShapeRun | { shape: string; skipped: string })[] = [];
  const api: ApiShapeRun[] = [];
  let memory: MemoryFlatCost | null = null;
  if (runs('mock') || runs('api')) {
    const cluster = await BenchCluster.start({
      url: config.rabbitmq.url,
      workers: WORKERS,
      slots: SLOTS,
      namespace: options.namespace,
      onProgress: say,
    });
    const db = space.pool();
    try {
      await cluster.removeOrchestratorQueue();
      say('warm-up: the workers start their task processes');
      const warmUp = shapes.find((shape) => shape.name.startsWith('fan'));
      if (warmUp !== undefined) await runMockShape(cluster, { ...warmUp, experiments: 4 }, options, signal);
      const meter = wlmMeter(cluster);
      for (const shape of runs('mock') ? shapes : [])
        mock.push(await metered(meter, () => runMockShape(cluster, shape, options, signal)));
      if (runs('api')) {
        const apiPath = await runApiPath(cluster, space, db, shapes, options, signal);
        api.push(...apiPath.runs);
        memory = apiPath.memory;
      }
    } finally {
      say('stopping the services, removing the namespace');
      await db.end();
      await cluster.stop();
      await space.clear();
    }
  }

  const flatCost = flatCostOf(api);
  const report = benchReport({
    raw,
    bullmq,
    mock,
    api,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: {
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      freeMemoryGbAtEnd: Math.round((freemem() / 2 ** 30) * 10) / 10,
      loadAverageAtStart: loadAtStart.map((load) => Math.round(load * 100) / 100),
      loadAverageAtEnd: loadavg().map((load) => Math.round(load * 100) / 100),
      rabbitmq: raw?.rabbitmq ?? null,
    },
  });
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, options.quick ? 'bench-quick.json' : 'bench.json');
  writeFileSync(file, toJsonText({ ...report, flatCost: flatCost && { ...flatCost, memory } }));
  const flat =
    flatCost === null
      ? ''
      : `flat cost: chains ${flatCost.tasksPerSecondMany} tasks/s with ${flatCost.finishedStoredAfter} ` +
        `experiments stored, ${flatCost.tasksPerSecondFew} with ${flatCost.finishedStoredBefore}: ` +
        `${flatCost.ratio} (target ≥ ${flatCost.target})\n`;
  const grown =
    memory === null || memory.worst === null
      ? ''
      : `memory: mean over the chains with ${memory.experimentsAfter} experiments stored against with ${memory.experimentsBefore}, ` +
        `${Object.entries(memory.ratio)
          .map(([service, ratio]) => `${service} ${ratio}`)
          .join(', ')} (target ≤ ${memory.target})\n`;
  process.stdout.write(`${formatReport(report)}\n${flat}${grown}written to ${file}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error('bench:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

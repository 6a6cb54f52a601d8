/**
 * wlm's mock path (scheduler and workers) against the raw amqplib baseline, in one run: echo tasks
 * end to end with full durability, beside a raw pipeline with the same number of hops (the floor of
 * docs/performance.md). See bench/README.md.
 *
 * 1. starts a Serf agent, `wlm scheduler` and `--workers` × `wlm worker --tasks echo --slots N` as
 *    child processes on a fresh namespace;
 * 2. warms up, then runs the mock orchestrator (`runMockOrchestrator`) with fan-out DAGs of echo
 *    tasks `--rounds` times: completed tasks per second from the first publish to the last
 *    COMPLETED, median round reported;
 * 3. unless `--no-paced`, publishes echo tasks at half that rate for about five seconds: the
 *    orchestration overhead (publish → RUNNING) at half of peak load;
 * 4. stops the services and deletes the namespace, then runs the raw 3-hop pipeline
 *    (`runRawPipeline`) with as many messages as there were tasks, the same number of rounds.
 *
 * Writes bench/results/throughput.json and prints it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import { runMockOrchestrator } from '@wlm/scripts';
import type { RunSummary } from '@wlm/scripts';
import { BenchCluster } from './bench-cluster';
import { runPacedTasks } from './paced-tasks';
import type { PacedResult } from './paced-tasks';
import { runRawPipeline } from './raw-amqp-pipeline';
import { toJsonText } from './json-text';

/** The throughput target: wlm's tasks/s over the raw pipeline's msgs/s. */
const TARGET_RATIO = 0.4;

interface ThroughputOptions {
  dags: number;
  tasksPerDag: number;
  workers: number;
  slots: number;
  rounds: number;
  paced: boolean;
}

function parseArgs(argv: readonly string[]): ThroughputOptions {
  const options: ThroughputOptions = {
    dags: 200,
    tasksPerDag: 10,
    workers: 3,
    slots: 16,
    rounds: 3,
    paced: true,
  };
  const limits: Record<string, [keyof ThroughputOptions, number, number]> = {
    '--dags': ['dags', 1, 10_000],
    '--tasks-per-dag': ['tasksPerDag', 3, 1_000],
    '--workers': ['workers', 1, 20],
    '--slots': ['slots', 1, 256],
    '--rounds': ['rounds', 1, 9],
  };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i] ?? '';
    if (flag === '--no-paced') {
      options.paced = false;
      continue;
    }
    const limit = limits[flag];
    if (limit === undefined) throw new RangeError(`unknown option ${flag}`);
    const [key, min, max] = limit;
    const text = argv[++i] ?? '';
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new RangeError(`${flag} must be a whole number from ${min} to ${max}`);
    }
    Object.assign(options, { [key]: value });
  }
  return options;
}

const say = (message: string): void => void process.stderr.write(`throughput: ${message}\n`);

function median<T>(items: readonly T[], by: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => by(a) - by(b));
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) throw new RangeError('median of nothing');
  return middle;
}

async function runWlm(
  cluster: BenchCluster,
  options: ThroughputOptions,
  signal: AbortSignal,
): Promise<{ rounds: RunSummary[]; paced: PacedResult | null }> {
  const url = loadConfig().rabbitmq.url;
  const logger = createLogger({ component: 'bench-throughput', level: 'warn', pretty: false });
  const run = async (dags: number, label: string): Promise<RunSummary> => {
    const summary = await runMockOrchestrator({
      url,
      logger,
      namespace: cluster.namespace,
      dags,
      shape: 'fanout',
      tasksPerDag: options.tasksPerDag,
      seed: 1,
      sleepMs: 0,
      failTimes: 0,
      priority: 5,
      priorityMix: false,
      timeoutMs: 300_000,
      signal,
    });
    if (summary.outcome !== 'completed') {
      throw new Error(
        `${label}: the mock orchestrator run ended ${summary.outcome} (${JSON.stringify(summary.failures)})`,
      );
    }
    say(`${label}: ${summary.completed} tasks in ${summary.elapsedMs} ms, ${summary.tasksPerSecond} tasks/s`);
    return summary;
  };
  // Task processes, JIT and connections warm before anything counts.
  await run(Math.max(1, Math.round(options.dags / 10)), 'warm-up');
  const rounds: RunSummary[] = [];
  for (let round = 1; round <= options.rounds; round += 1)
    rounds.push(await run(options.dags, `round ${round}`));

  let paced: PacedResult | null = null;
  if (options.paced) {
    const rate = Math.max(1, Math.round(median(rounds, (r) => r.tasksPerSecond).tasksPerSecond / 2));
    const tasks = Math.min(10_000, Math.max(200, rate * 5));
    say(`paced: ${tasks} tasks at ${rate} tasks/s`);
    paced = await runPacedTasks({ url, topology: cluster.topology, rate, tasks, timeoutMs: 120_000, signal });
    say(
      `paced: publish → RUNNING p50 ${paced.publishToRunningMs.p50} ms, p99 ${paced.publishToRunningMs.p99} ms`,
    );
  }
  return { rounds, paced };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const interrupt = new AbortController();
  // The first Ctrl-C still stops the services and deletes the namespace; a second one kills at once.
  process.once('SIGINT', () => interrupt.abort());
  const loadAtStart = loadavg();
  const cluster = await BenchCluster.start({
    url: loadConfig().rabbitmq.url,
    workers: options.workers,
    slots: options.slots,
    onProgress: say,
  });
  let wlm: Awaited<ReturnType<typeof runWlm>>;
  try {
    await cluster.removeOrchestratorQueue();
    wlm = await runWlm(cluster, options, interrupt.signal);
  } finally {
    say('stopping the services, deleting the namespace');
    await cluster.stop();
  }
  const reported = median(wlm.rounds, (r) => r.tasksPerSecond);
  const tasks = reported.completed;
  say(`raw pipeline: ${tasks} messages × ${options.rounds} rounds`);
  const raw = await runRawPipeline({ messages: tasks, rounds: options.rounds, signal: interrupt.signal });

  const ratio = Math.round((reported.tasksPerSecond / raw.burst.msgsPerSecond) * 1000) / 1000;
  const overall = reported.latency;
  const figures = {
    generatedAt: new Date().toISOString(),
    wlmTasksPerSecond: reported.tasksPerSecond,
    rawMsgsPerSecond: raw.burst.msgsPerSecond,
    ratio,
    target: TARGET_RATIO,
    meetsTarget: ratio >= TARGET_RATIO,
    tasks,
    setup: {
      schedulers: 1,
      workers: options.workers,
      slotsPerWorker: options.slots,
      dags: options.dags,
      tasksPerDag: options.tasksPerDag,
      shape: 'fanout',
      rounds: options.rounds,
    },
    wlm: {
      roundsTasksPerSecond: wlm.rounds.map((r) => r.tasksPerSecond),
      elapsedMs: reported.elapsedMs,
      // Under the burst: mostly time spent queued behind the other tasks, not a target.
      latencyMs: {
        publishToRunning: overall.publishToRunning.overall,
        publishToCompleted: overall.publishToCompleted.overall,
      },
      pacedHalfPeak: wlm.paced,
      overheadTargetMs: { p50: 10, p99: 50 },
    },
    raw: {
      messages: raw.burst.messages,
      roundsMsgsPerSecond: raw.burst.roundsMsgsPerSecond,
      latencyMs: raw.burst.latencyMs,
      pacedHalfPeak: raw.paced,
      settings: raw.settings,
    },
    machine: {
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      freeMemoryGbAtEnd: Math.round((freemem() / 2 ** 30) * 10) / 10,
      loadAverageAtStart: loadAtStart.map((load) => Math.round(load * 100) / 100),
      rabbitmq: raw.rabbitmq,
    },
  };
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'throughput.json');
  const text = toJsonText(figures);
  writeFileSync(file, text);
  process.stdout.write(text);
  console.log(
    `wlm ${reported.tasksPerSecond} tasks/s vs raw ${raw.burst.msgsPerSecond} msgs/s: ratio ${ratio} (target ${TARGET_RATIO})` +
      (wlm.paced === null
        ? ''
        : `; at ${wlm.paced.targetRate} tasks/s publish → RUNNING p50 ${wlm.paced.publishToRunningMs.p50} ms, ` +
          `p99 ${wlm.paced.publishToRunningMs.p99} ms (target 10 / 50)`),
  );
  console.log(`written to ${file}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error('throughput:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

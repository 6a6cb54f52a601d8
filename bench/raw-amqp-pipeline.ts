/**
 * Raw amqplib baseline for the throughput targets (docs/performance.md): the floor wlm is measured
 * against, a pipeline with the same number of hops, in the same run. See
 * bench/README.md for how to run it.
 *
 * Three hops like wlm's path (raw-amqp-hops.ts), measured twice:
 * 1. burst — N messages as fast as pipelined confirms allow: peak msgs/s end to end;
 * 2. paced — at half that peak for a few seconds: latency p50/p99 at half load, the load at which
 *    docs/performance.md states its latency target.
 *
 * Importable: `runRawPipeline({ messages })` returns the figures without writing anything, so the
 * wlm-vs-raw comparison can run both pipelines in one process.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@wlm/commons/config';
import { RawPipeline } from './raw-amqp-hops';
import type { PhaseReceipt, PipelineSettings } from './raw-amqp-hops';
import { toJsonText } from './json-text';
import { percentile } from './overhead';

/** Bounds of `messages`: enough to be steady, never enough to fill a developer's disk. */
export const MAX_MESSAGES = 1_000_000;

/** Phase numbers travel in one byte: 0 is the warm-up, 1–50 the burst rounds. */
const PACED_PHASE = 100;

export interface RawPipelineOptions {
  /** Messages of the burst phase; default 20,000. */
  messages?: number;
  /** Default `loadConfig().rabbitmq.url` (WLM_RABBITMQ_URL). */
  url?: string;
  /** Unacked deliveries per hop; default 250 (see bench/README.md for the sweep behind it). */
  prefetch?: number;
  /** Unconfirmed publishes of the producer; default 1,000, as wlm's publisher. */
  maxInFlight?: number;
  /** Default 1,024 bytes. */
  messageBytes?: number;
  /**
   * The paced phase: rate in messages/s (default half the burst's peak) and messages (default three
   * seconds' worth, 500–10,000); `false` skips it.
   */
  paced?: { rate?: number; messages?: number } | false;
  /** Messages through the pipeline before measuring, so connections and JIT are warm. Default 1,000. */
  warmup?: number;
  /**
   * Burst phases run; the median one is reported. Default 1; the command line runs 3, because on a
   * machine shared with databases and other tests one run says little.
   */
  rounds?: number;
  signal?: AbortSignal;
}

export interface LatencyFigures {
  p50: number;
  p99: number;
  max: number;
}

export interface RawPipelineResult {
  hops: 3;
  rabbitmq: string;
  settings: Omit<PipelineSettings, 'url' | 'stallTimeoutMs'> & { durable: true; persistent: true };
  /** The median round by msgs/s; `roundsMsgsPerSecond` has every round in run order. */
  burst: {
    messages: number;
    elapsedMs: number;
    msgsPerSecond: number;
    latencyMs: LatencyFigures;
    roundsMsgsPerSecond: number[];
  };
  paced: { targetRate: number; messages: number; achievedRate: number; latencyMs: LatencyFigures } | null;
}

function latencyOf(receipt: PhaseReceipt): LatencyFigures {
  const sorted = [...receipt.latencies].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

function ratePerSecond(receipt: PhaseReceipt): number {
  return Math.round((receipt.received * 1000) / (receipt.lastReceivedAt - receipt.firstSentAt));
}

function checkCount(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/**
 * Runs the baseline on queues of its own (`wlmbench-raw-<random>.*`), deleted at the end whatever
 * happens. Throws when a message is not confirmed, a consumer is cancelled, nothing arrives for
 * 30 s, or `signal` aborts.
 */
export async function runRawPipeline(options: RawPipelineOptions = {}): Promise<RawPipelineResult> {
  const messages = checkCount('messages', options.messages ?? 20_000, 1, MAX_MESSAGES);
  const settings: PipelineSettings = {
    url: options.url ?? loadConfig().rabbitmq.url,
    prefetch: checkCount('prefetch', options.prefetch ?? 250, 1, 65_535),
    maxInFlight: checkCount('maxInFlight', options.maxInFlight ?? 1000, 1, 100_000),
    messageBytes: checkCount('messageBytes', options.messageBytes ?? 1024, 16, 1_048_576),
    stallTimeoutMs: 30_000,
  };
  const pipeline = new RawPipeline(`wlmbench-raw-${randomBytes(4).toString('hex')}`, settings);
  try {
    await pipeline.open();
    const warmup = options.warmup ?? 1000;
    if (warmup > 0)
      await pipeline.run(0, checkCount('warmup', warmup, 1, MAX_MESSAGES), undefined, options.signal);

    const rounds: PhaseReceipt[] = [];
    const roundCount = checkCount('rounds', options.rounds ?? 1, 1, 50);
    for (let round = 1; round <= roundCount; round += 1) {
      rounds.push(await pipeline.run(round, messages, undefined, options.signal));
    }
    const byRate = [...rounds].sort((a, b) => ratePerSecond(a) - ratePerSecond(b));
    const burst = byRate[Math.floor(byRate.length / 2)] as PhaseReceipt;
    const peak = ratePerSecond(burst);

    let paced: RawPipelineResult['paced'] = null;
    if (options.paced !== false) {
      const targetRate = checkCount(
        'paced.rate',
        options.paced?.rate ?? Math.max(1, Math.round(peak / 2)),
        1,
        1_000_000,
      );
      const count = options.paced?.messages ?? Math.min(10_000, Math.max(500, targetRate * 3));
      const receipt = await pipeline.run(
        PACED_PHASE,
        checkCount('paced.messages', count, 1, MAX_MESSAGES),
        targetRate,
        options.signal,
      );
      paced = {
        targetRate,
        messages: count,
        achievedRate: ratePerSecond(receipt),
        latencyMs: latencyOf(receipt),
      };
    }
    return {
      hops: 3,
      rabbitmq: pipeline.serverVersion,
      settings: {
        prefetch: settings.prefetch,
        maxInFlight: settings.maxInFlight,
        messageBytes: settings.messageBytes,
        durable: true,
        persistent: true,
      },
      burst: {
        messages,
        elapsedMs: Math.round(burst.lastReceivedAt - burst.firstSentAt),
        msgsPerSecond: peak,
        latencyMs: latencyOf(burst),
        roundsMsgsPerSecond: rounds.map(ratePerSecond),
      },
      paced,
    };
  } finally {
    await pipeline.close();
  }
}

/** `--messages N`, `--rounds N`, `--prefetch N`, `--max-in-flight N`, `--message-bytes N`, `--no-paced`. */
function parseArgs(argv: readonly string[]): RawPipelineOptions {
  const options: RawPipelineOptions = { rounds: 3 };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = () => {
      const text = argv[++i];
      if (text === undefined || !/^\d+$/.test(text)) throw new RangeError(`${flag} needs a whole number`);
      return Number(text);
    };
    if (flag === '--messages') options.messages = value();
    else if (flag === '--rounds') options.rounds = value();
    else if (flag === '--prefetch') options.prefetch = value();
    else if (flag === '--max-in-flight') options.maxInFlight = value();
    else if (flag === '--message-bytes') options.messageBytes = value();
    else if (flag === '--no-paced') options.paced = false;
    else throw new RangeError(`unknown option ${flag}`);
  }
  return options;
}

async function main(): Promise<void> {
  const interrupt = new AbortController();
  // The first Ctrl-C still deletes the bench's queues; a second one kills at once.
  process.once('SIGINT', () => interrupt.abort());
  const result = await runRawPipeline({ ...parseArgs(process.argv.slice(2)), signal: interrupt.signal });
  const figures = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ...result,
  };
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'raw-amqp.json');
  const text = toJsonText(figures);
  writeFileSync(file, text);
  process.stdout.write(text);
  console.log(
    `raw 3-hop pipeline: ${result.burst.msgsPerSecond} msg/s burst (median of ${result.burst.roundsMsgsPerSecond.join(', ')})` +
      (result.paced === null
        ? ''
        : `; at ${result.paced.targetRate} msg/s p50 ${result.paced.latencyMs.p50} ms, p99 ${result.paced.latencyMs.p99} ms`),
  );
  console.log(`written to ${file}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error('raw-amqp-pipeline:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

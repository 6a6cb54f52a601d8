/**
 * How fast a lost worker is noticed and its work runs elsewhere: `wlm scheduler` and 1, 3 or 10
 * `wlm worker`s (echo, one slot each) as processes; one worker runs a long task and is SIGKILLed;
 * then, in a lab of three network-namespace hosts, a worker's host has its link cut instead.
 * Figures: from the kill (or the cut) to the scheduler's "worker failed" log line, and from there
 * to the task's next attempt RUNNING on another worker. Writes bench/results/failure-detection.json.
 *
 *   npx tsc --build bench && node bench/dist/failure-detection.js     # root, for the cut link
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AmqpConnection } from '@wlm/commons/amqp';
import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import { taskEventSchema, taskRequestSchema } from '@wlm/commons/wire';
import type { TaskEvent } from '@wlm/commons/wire';
import { NetnsLab } from '@wlm/scripts';
import { BenchCluster } from './bench-cluster';

const SIZES = [1, 3, 10] as const;
const ROUNDS = 3;
const TIMEOUT_MS = 60_000;

interface Trial {
  readonly workers: number;
  readonly fault: 'SIGKILL' | 'link cut';
  /** From the fault to the scheduler's "worker failed". */
  readonly detectedMs: number;
  /** From "worker failed" to the next attempt RUNNING elsewhere; null with no other worker. */
  readonly runningElsewhereMs: number | null;
}

const say = (message: string): void => void process.stderr.write(`failure-detection: ${message}\n`);

async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${TIMEOUT_MS} ms`);
    await sleep(20);
  }
}

/** One cluster: places a long task, applies the fault to its worker, measures. */
async function trial(workers: number, lab: NetnsLab | undefined): Promise<Trial> {
  const { url } = loadConfig().rabbitmq;
  const cluster = await BenchCluster.start({
    url,
    workers,
    slots: 1,
    watch: ['worker failed'],
    ...(lab === undefined ? {} : { lab }),
  });
  const amqp = await AmqpConnection.connect({
    url,
    logger: createLogger({ component: 'bench', level: 'silent', pretty: false }),
    topology: cluster.topology.core(),
    connectionName: `wlm-bench-${cluster.namespace}`,
  });
  try {
    const events: TaskEvent[] = [];
    await amqp.consume(
      cluster.topology.queues.orchestratorEvents,
      taskEventSchema,
      (e) => void events.push(e),
    );
    const experimentId = `${cluster.namespace}.x${randomBytes(3).toString('hex')}`;
    await amqp.publishMessage('', cluster.topology.queues.schedulerRequests, taskRequestSchema, {
      v: 1,
      experimentId,
      run: 1,
      taskId: 'long',
      attempt: 1,
      taskType: 'echo',
      context: { sleepMs: 120_000 },
      priority: 5,
      requestedAt: new Date().toISOString(),
    });
    const running = (attempt: number): TaskEvent | undefined =>
      events.find((e) => e.experimentId === experimentId && e.state === 'RUNNING' && e.attempt === attempt);
    const first = await until('RUNNING of attempt 1', () => running(1));
    const victim = first.state === 'RUNNING' ? first.workerId : '';
    const faultAt = Date.now();
    if (lab === undefined) cluster.signalWorker(victim, 'SIGKILL');
    else await lab.cutLink(lab.hosts[cluster.workerIds.indexOf(victim) % lab.hosts.length] ?? lab.hosts[0]!);
    const failedAt = await until('"worker failed"', () =>
      cluster.scheduler.loggedAt('worker failed', victim),
    );
    let runningElsewhereMs: number | null = null;
    if (workers > 1) {
      const second = await until('RUNNING of attempt 2', () => running(2));
      runningElsewhereMs = Date.parse(second.at) - failedAt;
    }
    return {
      workers,
      fault: lab === undefined ? 'SIGKILL' : 'link cut',
      detectedMs: failedAt - faultAt,
      runningElsewhereMs,
    };
  } finally {
    await amqp.close();
    await cluster.stop();
  }
}

function summary(trials: readonly Trial[]): Record<string, number | null> {
  const detected = trials.map((t) => t.detectedMs);
  const elsewhere = trials.map((t) => t.runningElsewhereMs).filter((ms): ms is number => ms !== null);
  return {
    detectedMsMax: Math.max(...detected),
    detectedMsMedian: [...detected].sort((a, b) => a - b)[Math.floor(detected.length / 2)] ?? null,
    runningElsewhereMsMax: elsewhere.length === 0 ? null : Math.max(...elsewhere),
  };
}

async function main(): Promise<void> {
  const trials: Trial[] = [];
  for (const workers of SIZES) {
    for (let round = 1; round <= ROUNDS; round += 1) {
      const result = await trial(workers, undefined);
      say(
        `${workers} workers, SIGKILL: failed after ${result.detectedMs} ms, elsewhere +${result.runningElsewhereMs ?? '-'} ms`,
      );
      trials.push(result);
    }
  }
  if (await NetnsLab.available()) {
    for (let round = 1; round <= ROUNDS; round += 1) {
      const lab = await NetnsLab.create(3);
      try {
        const result = await trial(3, lab);
        say(
          `3 hosts, link cut: failed after ${result.detectedMs} ms, elsewhere +${result.runningElsewhereMs} ms`,
        );
        trials.push(result);
      } finally {
        await lab.destroy();
      }
    }
  } else {
    say('not root: the cut-link case needs network namespaces and is left out');
  }
  const bySize = Object.fromEntries(
    SIZES.map((workers) => [
      `${workers} workers, SIGKILL`,
      summary(trials.filter((t) => t.fault === 'SIGKILL' && t.workers === workers)),
    ]),
  );
  const cut = trials.filter((t) => t.fault === 'link cut');
  const result = {
    benchmark: 'failure-detection',
    at: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    cpus: cpus().length,
    rounds: ROUNDS,
    summary: { ...bySize, ...(cut.length === 0 ? {} : { '3 hosts, link cut': summary(cut) }) },
    trials,
  };
  const file = join(__dirname, '..', 'results', 'failure-detection.json');
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result.summary, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`failure-detection: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});

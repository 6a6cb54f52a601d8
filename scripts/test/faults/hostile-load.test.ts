import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  MAX_CONTEXT_BYTES,
  MAX_JSON_DEPTH,
  MAX_RETRY_BACKOFF_MS,
  MAX_TASK_TIMEOUT_MS,
} from '@wlm/commons/wire';
import type { JsonValue } from '@wlm/commons/wire';
import { FaultSystem, REPEAT, expectEveryTaskRanOnce } from './support/fault-system';

/*
 * Faults in what the system is given rather than in its processes: a task type nobody serves next
 * to a busy one, a poison message on every queue under load, and DAGs at every limit of the wire.
 * Every experiment must still end as it should, and every task must have executed exactly once.
 */

jest.setTimeout(600_000);

const GPU_PLUGIN = join(__dirname, '..', 'fixtures', 'gpu-ledger-plugin.js');
let system: FaultSystem;

beforeAll(async () => {
  system = await FaultSystem.startWithLedgerWorkers();
});

afterAll(async () => {
  await system?.stop();
});

interface TaskViewOf {
  tasks: Array<{ taskId: string; waitingFor: string | null }>;
}

it.each(Array.from({ length: REPEAT }, (_, round) => round + 1))(
  'round %i: a type nobody serves waits beside a busy one, which runs; it runs once a worker serves it',
  async (round) => {
    const gpu = await system.putDag(`gpu${round}`, { a: [] }, 100, { taskType: 'gpu-sim' });
    const busy = await system.putDag(`busy${round}`, { a: [], b: ['a'] }, 200);
    const waiting = await system.submit([[gpu, 100]]);
    const running = await system.submit([[busy, 20]]);

    const busyEnded = await system.settle(running.ids, 120_000);
    expect(busyEnded.filter((experiment) => experiment.state !== 'COMPLETED')).toEqual([]);
    const view = (await system.api(`/api/experiments/${waiting.ids[0] ?? ''}`)) as TaskViewOf;
    expect(view.tasks[0]?.waitingFor).toContain('waiting for a worker that runs gpu-sim');

    const gpuWorker = await system.cluster.startWorker({ name: `gpu${round}`, tasks: GPU_PLUGIN, slots: 8 });
    const outcome = await system.finishRound(
      'a type nobody serves (100 experiments) beside a busy one (20), then served',
      1,
      Date.now(),
      [waiting, running],
      180_000,
    );
    // Gone again, so that the next round's gpu-sim tasks find nobody to run them.
    await system.cluster.worker(gpuWorker).stop();
    expectEveryTaskRanOnce(outcome);
  },
);

it.each(Array.from({ length: REPEAT }, (_, round) => round + 1))(
  'round %i: a poison message on every queue under load is dead-lettered, and nothing else is',
  async (round) => {
    const { topology, broker } = system.cluster;
    const dlqBefore = await broker.messageCount(topology.queues.deadLetter);
    const type = await system.putDag(`poison${round}`, { a: [], b: ['a'], c: ['a'], d: ['b', 'c'] }, 300);
    const workload = await system.submit([[type, 12]]);
    await system.progressed(workload);

    const queues = [
      ...Object.values(topology.queues).filter((queue) => queue !== topology.queues.deadLetter),
      topology.requestQueue('ledger'),
      ...[...system.cluster.workers]
        .filter(([, worker]) => worker.running)
        .flatMap(([id]) => [topology.workerQueue(id), topology.workerControlQueue(id)]),
    ];
    for (const queue of queues) await broker.publishRaw(queue, Buffer.from(`poison for ${queue}: not JSON`));
    const poisonedAt = Date.now();

    const outcome = await system.finishRound(
      `a poison message on each of ${queues.length} queues under load (12 diamonds)`,
      queues.length,
      poisonedAt,
      [workload],
      180_000,
    );
    let deadLetters = 0;
    for (let tries = 0; tries < 100 && deadLetters < queues.length; tries += 1) {
      deadLetters = (await broker.messageCount(topology.queues.deadLetter)) - dlqBefore;
      if (deadLetters < queues.length) await sleep(200);
    }

    expectEveryTaskRanOnce(outcome);
    // Each poison message, and nothing else, in the dead-letter queue.
    expect(deadLetters).toBe(queues.length);
  },
);

/** `levels` objects nested in one another, a number at the bottom: `{ n: { n: 1 } }` is 2 levels. */
function nested(levels: number): JsonValue {
  let value: JsonValue = 1;
  for (let level = 0; level < levels; level += 1) value = { n: value };
  return value;
}

/**
 * The task list of a DAG at every limit of the wire: `deep` takes params and returns outputs nested
 * exactly as deep as the wire allows, `relay` gets those outputs through a template, `big` takes
 * params of exactly the wire's size (one YAML anchor repeated, so the definition stays small) and
 * returns them; every retry and timeout field is at its maximum.
 */
function tasksAtTheLimits(ledger: string): string {
  const limits =
    `    retry: { maxAttempts: 20, backoffMs: ${MAX_RETRY_BACKOFF_MS} }\n` +
    `    timeoutMs: ${MAX_TASK_TIMEOUT_MS}\n    queueTimeoutMs: ${MAX_TASK_TIMEOUT_MS}\n`;
  const params = (echo: string): string =>
    `    params: { ledger: ${JSON.stringify(ledger)}, sleepMs: 200, echo: ${echo} }\n`;
  // The params object is the first level, so its echo may nest one level less than the wire allows.
  const deep = JSON.stringify(nested(MAX_JSON_DEPTH - 1));
  const overhead = JSON.stringify({ ledger, sleepMs: 200, echo: ['', '', '', '', ''] }).length;
  const chunk = Math.floor((overhead > MAX_CONTEXT_BYTES ? 0 : MAX_CONTEXT_BYTES - overhead) / 4);
  const pad = MAX_CONTEXT_BYTES - overhead - 4 * chunk;
  return (
    `  - id: deep\n    type: ledger\n${params(deep)}${limits}` +
    `  - id: relay\n    type: ledger\n    after: [deep]\n${params('"{{tasks.deep.outputs.echo}}"')}${limits}` +
    `  - id: big\n    type: ledger\n${params(`[&c "${'x'.repeat(chunk)}", *c, *c, *c, "${'y'.repeat(pad)}"]`)}${limits}`
  );
}

it.each(Array.from({ length: REPEAT }, (_, round) => round + 1))(
  'round %i: DAGs at every limit of the wire run once each, across an orchestrator restart',
  async (round) => {
    const type = await system.putDagYaml(`limits${round}`, tasksAtTheLimits(system.ledger), 3);
    const workload = await system.submit([[type, 3]], { priority: 9 });
    await system.progressed(workload);
    await system.killOrchestrators();
    await system.startOrchestrator(`limits${round}`);

    const outcome = await system.finishRound(
      'DAGs at every limit of the wire (depth, size, retries, timeouts, priority); orchestrator SIGKILLed',
      1,
      Date.now(),
      [workload],
    );
    expectEveryTaskRanOnce(outcome);
    const view = (await system.api(`/api/experiments/${workload.ids[0] ?? ''}`)) as {
      tasks: Array<{ taskId: string; outputs: { echo?: JsonValue } | null }>;
    };
    const outputsOf = (task: string) => view.tasks.find((entry) => entry.taskId === task)?.outputs?.echo;
    expect(outputsOf('relay')).toEqual(nested(MAX_JSON_DEPTH - 1));
    // The output came back whole: with the rest of big's params around it, exactly the wire's size.
    const bigParams = { ledger: system.ledger, sleepMs: 200, echo: outputsOf('big') };
    expect(Buffer.byteLength(JSON.stringify(bigParams))).toBe(MAX_CONTEXT_BYTES);
  },
);

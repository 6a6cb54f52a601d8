import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultSystem, LEDGER_PLUGIN, REPEAT, recordRound } from './support/fault-system';

/*
 * Faults in what the system is given rather than in its processes: a task type nobody serves next
 * to a busy one, and a poison message on every queue under load. Every experiment must still end
 * as it should, and every task must have executed exactly once.
 */

jest.setTimeout(600_000);

const GPU_PLUGIN = join(__dirname, '..', 'fixtures', 'gpu-ledger-plugin.js');
let system: FaultSystem;

beforeAll(async () => {
  system = await FaultSystem.start();
  await system.cluster.startScheduler();
  for (const name of ['w1', 'w2']) await system.cluster.startWorker({ name, tasks: LEDGER_PLUGIN, slots: 8 });
  await system.startOrchestrator('o');
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
    const gpu = await system.putDag(`gpu${round}`, { a: [] }, 100, 'gpu-sim');
    const busy = await system.putDag(`busy${round}`, { a: [], b: ['a'] }, 200);
    const before = system.executions().length;
    const waiting = await system.submit(gpu, 100);
    const running = await system.submit(busy, 20);

    const busyEnded = await system.settle(running, 120_000);
    expect(busyEnded.filter((experiment) => experiment.state !== 'COMPLETED')).toEqual([]);
    const view = (await system.api(`/api/experiments/${waiting[0] ?? ''}`)) as TaskViewOf;
    expect(view.tasks[0]?.waitingFor).toContain('waiting for a worker that runs gpu-sim');

    await system.cluster.startWorker({ name: `gpu${round}`, tasks: GPU_PLUGIN, slots: 8 });
    const servedAt = Date.now();
    const gpuEnded = await system.settle(waiting, 180_000);
    const repeated = [...system.executionsPerTask()].filter(([, count]) => count > 1);
    const executions = system.executions().length - before;
    recordRound({
      scenario: 'a type nobody serves (100 experiments) beside a busy one (20), then served',
      faults: 1,
      experiments: waiting.length + running.length,
      tasks: waiting.length + running.length * 2,
      executions,
      lost: [...busyEnded, ...gpuEnded].filter((experiment) => experiment.state !== 'COMPLETED').length,
      duplicated: repeated.length,
      recoveryMs: Date.now() - servedAt,
    });

    expect(gpuEnded.filter((experiment) => experiment.state !== 'COMPLETED')).toEqual([]);
    expect(repeated).toEqual([]);
    expect(executions).toBe(waiting.length + running.length * 2);
  },
);

it.each(Array.from({ length: REPEAT }, (_, round) => round + 1))(
  'round %i: a poison message on every queue under load is dead-lettered, and nothing else is',
  async (round) => {
    const { topology, broker } = system.cluster;
    const dlqBefore = await broker.messageCount(topology.queues.deadLetter);
    const type = await system.putDag(`poison${round}`, { a: [], b: ['a'], c: ['a'], d: ['b', 'c'] }, 300);
    const before = system.executions().length;
    const ids = await system.submit(type, 12);
    await sleep(500);

    const queues = [
      ...Object.values(topology.queues).filter((queue) => queue !== topology.queues.deadLetter),
      topology.requestQueue('ledger'),
      ...[...system.cluster.workers.keys()].flatMap((id) => [
        topology.workerQueue(id),
        topology.workerControlQueue(id),
      ]),
    ];
    for (const queue of queues) await broker.publishRaw(queue, Buffer.from(`poison for ${queue}: not JSON`));
    const poisonedAt = Date.now();

    const ended = await system.settle(ids, 180_000);
    const repeated = [...system.executionsPerTask()].filter(([, count]) => count > 1);
    const executions = system.executions().length - before;
    let deadLetters = 0;
    for (let tries = 0; tries < 100 && deadLetters < queues.length; tries += 1) {
      deadLetters = (await broker.messageCount(topology.queues.deadLetter)) - dlqBefore;
      if (deadLetters < queues.length) await sleep(200);
    }
    recordRound({
      scenario: `a poison message on each of ${queues.length} queues under load (12 diamonds)`,
      faults: queues.length,
      experiments: ids.length,
      tasks: ids.length * 4,
      executions,
      lost: ended.filter((experiment) => experiment.state !== 'COMPLETED').length,
      duplicated: repeated.length,
      recoveryMs: Date.now() - poisonedAt,
    });

    expect(ended.filter((experiment) => experiment.state !== 'COMPLETED')).toEqual([]);
    expect(repeated).toEqual([]);
    expect(executions).toBe(ids.length * 4);
    // Each poison message, and nothing else, in the dead-letter queue.
    expect(deadLetters).toBe(queues.length);
  },
);

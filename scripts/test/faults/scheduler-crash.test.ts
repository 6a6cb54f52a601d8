import { FaultSystem, LEDGER_PLUGIN, REPEAT, expectEveryTaskRanOnce } from './support/fault-system';

/*
 * Fault: one scheduler of two SIGKILLed under load, then both, each started again. The requests they
 * held unacknowledged go back to the queue and are placed by whoever takes them; the placement fence
 * keeps every attempt to one assignment, so every task must have executed exactly once.
 */

jest.setTimeout(600_000);

let system: FaultSystem;

beforeAll(async () => {
  system = await FaultSystem.start();
  await system.cluster.startScheduler();
  await system.cluster.startScheduler({ ownAgent: true });
  for (const name of ['w1', 'w2']) await system.cluster.startWorker({ name, tasks: LEDGER_PLUGIN, slots: 8 });
  await system.startOrchestrator('o');
});

afterAll(async () => {
  await system?.stop();
});

it.each(Array.from({ length: REPEAT }, (_, round) => round + 1))(
  'round %i: kills of one scheduler, then of both, neither lose nor repeat a task',
  async (round) => {
    const type = await system.putDag(`steps${round}`, { a: [], b: ['a'], c: ['b'] }, 500);
    const workload = await system.submit([[type, 20]]);

    await system.progressed(workload);
    const [first] = system.cluster.schedulers.filter((scheduler) => scheduler.running);
    first?.kill('SIGKILL');
    await system.cluster.startScheduler();
    // Work goes on after the first kill before both go.
    await system.progressed(workload);
    for (const scheduler of system.cluster.schedulers) scheduler.kill('SIGKILL');
    await system.cluster.startScheduler();
    await system.cluster.startScheduler({ ownAgent: true });
    const lastFault = Date.now();

    const outcome = await system.finishRound(
      'one scheduler of two SIGKILLed, then both, restarted (2 workers)',
      3,
      lastFault,
      [workload],
    );
    expectEveryTaskRanOnce(outcome);
  },
);

import { FaultSystem, LEDGER_PLUGIN, REPEAT, expectOnlyCutShortRanTwice } from './support/fault-system';
import { waitFor } from '@wlm/test-support';

/*
 * Fault: a worker SIGKILLed while it runs tasks. Every experiment must complete on the other worker;
 * a task the killed worker was running may have started once more (its execution was cut short), and
 * no task may have run more than that.
 */

jest.setTimeout(600_000);

const SLOTS = 4;
let system: FaultSystem;

beforeAll(async () => {
  system = await FaultSystem.start();
  await system.cluster.startScheduler();
  await system.startOrchestrator('o');
});

afterAll(async () => {
  await system?.stop();
});

it.each(Array.from({ length: REPEAT }, (_, round) => round + 1))(
  'round %i: a worker killed mid-task loses nothing, and only its cut-short tasks start again',
  async (round) => {
    const victim = await system.cluster.startWorker({
      name: `victim${round}`,
      tasks: LEDGER_PLUGIN,
      slots: SLOTS,
    });
    const type = await system.putDag(`single${round}`, { a: [] }, 3_000);
    const before = system.executions().length;
    const workload = await system.submit([[type, 3 * SLOTS]]);
    await waitFor(
      'the victim to run a full load',
      () => system.executions().length - before >= SLOTS,
      60_000,
    );
    system.cluster.worker(victim).kill('SIGKILL');
    const killedAt = Date.now();
    await system.cluster.startWorker({ name: `rescuer${round}`, tasks: LEDGER_PLUGIN, slots: SLOTS });

    const outcome = await system.finishRound(
      `worker SIGKILLed running ${SLOTS} tasks (1 scheduler, a second worker started after)`,
      1,
      killedAt,
      [workload],
    );
    expectOnlyCutShortRanTwice(outcome, SLOTS);
  },
);

it.each(Array.from({ length: REPEAT }, (_, round) => round + 1))(
  'round %i: every worker killed at once loses nothing, and only cut-short tasks start again',
  async (round) => {
    for (const name of [`all${round}a`, `all${round}b`]) {
      await system.cluster.startWorker({ name, tasks: LEDGER_PLUGIN, slots: SLOTS });
    }
    // Every worker of the cluster dies, those earlier rounds started too: each has SLOTS slots.
    const victims = [...system.cluster.workers].filter(([, worker]) => worker.running).map(([id]) => id);
    const type = await system.putDag(`pair${round}`, { a: [], b: ['a'] }, 2_000);
    const before = system.executions().length;
    const workload = await system.submit([[type, 2 * SLOTS]]);
    await waitFor('both victims busy', () => system.executions().length - before >= 2 * SLOTS, 60_000);
    for (const victim of victims) system.cluster.worker(victim).kill('SIGKILL');
    const killedAt = Date.now();
    await system.cluster.startWorker({ name: `after${round}`, tasks: LEDGER_PLUGIN, slots: SLOTS });

    const outcome = await system.finishRound(
      `every worker (${SLOTS} slots each) SIGKILLed at once, one new worker started (1 scheduler)`,
      victims.length,
      killedAt,
      [workload],
    );
    // At most the tasks the killed workers were running start a second time.
    expectOnlyCutShortRanTwice(outcome, victims.length * SLOTS);
  },
);

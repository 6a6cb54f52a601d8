import { setTimeout as sleep } from 'node:timers/promises';
import type { OrchestratorProcess } from '../../../orchestrator/test/integration/support/orchestrator-process';
import { FaultSystem, LEDGER_PLUGIN, REPEAT, expectEveryTaskRanOnce } from './support/fault-system';

/*
 * Fault: the orchestrator SIGKILLed at moments spread over a workload, again and again, and started
 * again each time, with two schedulers and two workers. Every experiment must complete, and every
 * task must have executed exactly once — counted by what ran (the ledger file), not by the stores.
 */

jest.setTimeout(600_000);

let system: FaultSystem;

beforeAll(async () => {
  system = await FaultSystem.start();
  await system.cluster.startScheduler();
  await system.cluster.startScheduler({ ownAgent: true });
  for (const name of ['w1', 'w2'])
    await system.cluster.startWorker({ name, tasks: LEDGER_PLUGIN, slots: 12 });
  await system.startOrchestrator('o0');
});

afterAll(async () => {
  await system?.stop();
});

it.each(Array.from({ length: REPEAT }, (_, round) => round + 1))(
  'round %i: kills of the orchestrator neither lose nor repeat a task (chains and a fan-in)',
  async (round) => {
    const chain = await system.putDag(`chain${round}`, { a: [], b: ['a'] }, 2_000);
    const fanIn = await system.putDag(`fanin${round}`, { a: [], b: [], c: [], d: ['a', 'b', 'c'] }, 1_000);
    const workload = await system.submit([
      [chain, 20],
      [fanIn, 5],
    ]);

    // Three kills at random moments (0.3–2 s apart), each followed by a fresh orchestrator.
    for (let kill = 1; kill <= 3; kill += 1) {
      await sleep(300 + Math.floor(Math.random() * 1_700));
      await system.killOrchestrators();
      await system.startOrchestrator(`o${round}-${kill}`);
    }
    const outcome = await system.finishRound(
      'orchestrator SIGKILLed 3 times at random moments (2 schedulers, 2 workers)',
      3,
      Date.now(),
      [workload],
    );
    expectEveryTaskRanOnce(outcome);
  },
);

it.each(Array.from({ length: REPEAT }, (_, round) => round + 1))(
  'round %i: the leader of two orchestrators killed: the standby finishes every experiment, nothing twice',
  async (round) => {
    await system.killOrchestrators();
    const pair = [await system.startOrchestrator(`a${round}`), await system.startOrchestrator(`b${round}`)];
    const type = await system.putDag(`leader${round}`, { a: [], b: ['a'], c: ['a'], d: ['b', 'c'] }, 1_000);
    const workload = await system.submit([[type, 15]]);

    // The leader is killed with work in flight.
    await system.progressed(workload);
    const leader = await eventuallyLeader(pair);
    leader.kill('SIGKILL');
    const killedAt = Date.now();
    const standby = pair.find((child) => child !== leader);
    if (standby?.url === undefined) throw new Error('the standby does not listen');
    system.useOrchestrator(standby);
    const outcome = await system.finishRound(
      'the leader of two orchestrators SIGKILLed; the standby takes over (2 schedulers, 2 workers)',
      1,
      killedAt,
      [workload],
    );
    expectEveryTaskRanOnce(outcome);
  },
);

/** The one of `pair` that leads, once one does. */
async function eventuallyLeader(pair: readonly OrchestratorProcess[]): Promise<OrchestratorProcess> {
  for (let tries = 0; tries < 200; tries += 1) {
    for (const child of pair) if (await child.isLeader()) return child;
    await sleep(100);
  }
  throw new Error('neither orchestrator leads');
}

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@wlm/commons';
import { stackUp } from '../../src';
import type { ComponentName } from '../../src';
import { FaultSystem, LEDGER_PLUGIN, REPEAT, recordRound } from './support/fault-system';

/*
 * Fault: the servers themselves restarted under load — RabbitMQ (its app stopped and started: every
 * connection drops, durable queues and persistent messages stay), MariaDB and Neo4j (SIGKILLed, then
 * started again the way `wlm stack up` starts them). Every service reconnects by itself; every
 * experiment must complete and every task must have executed exactly once.
 */

jest.setTimeout(900_000);

const REPO = join(__dirname, '..', '..', '..');
let system: FaultSystem;

beforeAll(async () => {
  system = await FaultSystem.start();
  await system.cluster.startScheduler();
  for (const name of ['w1', 'w2']) await system.cluster.startWorker({ name, tasks: LEDGER_PLUGIN, slots: 8 });
  await system.startOrchestrator('o');
});

afterAll(async () => {
  // Whatever happened, leave every server of the stack up for whoever runs next.
  await stackUp({ config: loadConfig(), cwd: REPO, withSlurm: true }).catch(() => undefined);
  await system?.stop();
});

/** Stops RabbitMQ's app (connections drop, the node and its durable state stay) and starts it again. */
async function restartRabbitmq(): Promise<void> {
  execFileSync('rabbitmqctl', ['stop_app'], { stdio: 'ignore' });
  await sleep(2_000);
  execFileSync('rabbitmqctl', ['start_app'], { stdio: 'ignore' });
}

/** SIGKILLs the server's process, waits a moment, and brings it back as `wlm stack up` does. */
async function killAndRestart(component: ComponentName, processName: string): Promise<void> {
  execFileSync('pkill', ['-KILL', '-f', processName], { stdio: 'ignore' });
  await sleep(2_000);
  await stackUp({ config: loadConfig(), cwd: REPO, only: [component] });
}

const restarts: Array<[string, () => Promise<void>]> = [
  ['RabbitMQ', restartRabbitmq],
  ['MariaDB', () => killAndRestart('mariadb', '/usr/sbin/mariadbd')],
  ['Neo4j', () => killAndRestart('neo4j', 'org.neo4j.server')],
];

describe.each(restarts)('%s restarted under load', (server, restart) => {
  it.each(Array.from({ length: REPEAT }, (_, round) => round + 1))(
    'round %i: nothing lost, nothing executed twice',
    async (round) => {
      const type = await system.putDag(
        `${server.toLowerCase()}${round}`,
        { a: [], b: ['a'], c: ['a'], d: ['b', 'c'] },
        500,
      );
      const before = system.executions().length;
      const ids = await system.submit(type, 12);
      await sleep(1_000);
      await restart();
      const restartedAt = Date.now();

      const ended = await system.settle(ids, 300_000);
      const repeated = [...system.executionsPerTask()].filter(([, count]) => count > 1);
      const executions = system.executions().length - before;
      recordRound({
        scenario: `${server} restarted under load (1 scheduler, 2 workers)`,
        faults: 1,
        experiments: ids.length,
        tasks: ids.length * 4,
        executions,
        lost: ended.filter((experiment) => experiment.state !== 'COMPLETED').length,
        duplicated: repeated.length,
        recoveryMs: Date.now() - restartedAt,
      });

      expect(ended.filter((experiment) => experiment.state !== 'COMPLETED')).toEqual([]);
      expect(repeated).toEqual([]);
      expect(executions).toBe(ids.length * 4);
    },
  );
});

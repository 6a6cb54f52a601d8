import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@wlm/commons/config';
import { stackUp } from '../../src';
import { FaultSystem, REPEAT, expectEveryTaskRanOnce } from './support/fault-system';

/*
 * Fault: the servers themselves restarted under load — RabbitMQ (its app stopped and started: every
 * connection drops, durable queues and persistent messages stay), MariaDB (SIGKILLed, then started
 * again as it was started) and Neo4j (SIGKILLed, then started by `wlm stack up`). Every service reconnects by itself; every
 * experiment must complete and every task must have executed exactly once.
 */

jest.setTimeout(900_000);

const REPO = join(__dirname, '..', '..', '..');
let system: FaultSystem;

beforeAll(async () => {
  system = await FaultSystem.startWithLedgerWorkers();
});

afterAll(async () => {
  // Whatever happened, leave every server of the stack up for whoever runs next.
  await stackUp({ config: loadConfig(), cwd: REPO, withSlurm: true }).catch(() => undefined);
  await system?.stop();
});

/*
 * The two-second sleeps below are the outage itself: how long each server stays away, long enough for
 * every service to lose its connections. Nothing is awaited there, so no hook applies.
 */

/** Stops RabbitMQ's app (connections drop, the node and its durable state stay) and starts it again. */
async function restartRabbitmq(): Promise<void> {
  execFileSync('rabbitmqctl', ['stop_app'], { stdio: 'ignore' });
  await sleep(2_000);
  execFileSync('rabbitmqctl', ['start_app'], { stdio: 'ignore' });
}

/** SIGKILLs Neo4j (the stack's own server), waits a moment, and brings it back with `wlm stack up`. */
async function restartNeo4j(): Promise<void> {
  execFileSync('pkill', ['-KILL', '-f', 'org.neo4j.server'], { stdio: 'ignore' });
  await sleep(2_000);
  await stackUp({ config: loadConfig(), cwd: REPO, only: ['neo4j'] });
}

/**
 * SIGKILLs MariaDB and starts it again exactly as it was started — same command line, same user —
 * so that a server the machine runs stays the machine's and is never taken over by the stack.
 */
async function restartMariadb(): Promise<void> {
  const pid = execFileSync('pidof', ['mariadbd']).toString().trim().split(/\s+/)[0] ?? '';
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const { uid } = statSync(`/proc/${pid}`);
  process.kill(Number(pid), 'SIGKILL');
  await sleep(2_000);
  const [command = '/usr/sbin/mariadbd', ...args] = argv;
  execFileSync('start-stop-daemon', [
    ...['--start', '--oknodo', '--background', '--chuid', String(uid), '--exec', command, '--'],
    ...args,
  ]);
  await waitForPort(3306, 60_000);
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing answers on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(200);
  }
}

const restarts: Array<[string, () => Promise<void>]> = [
  ['RabbitMQ', restartRabbitmq],
  ['MariaDB', restartMariadb],
  ['Neo4j', restartNeo4j],
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
      const workload = await system.submit([[type, 12]]);
      await system.progressed(workload);
      await restart();
      const restartedAt = Date.now();

      const outcome = await system.finishRound(
        `${server} restarted under load (1 scheduler, 2 workers)`,
        1,
        restartedAt,
        [workload],
        300_000,
      );
      expectEveryTaskRanOnce(outcome);
    },
  );
});

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { createLogger } from '@wlm/commons';
import type { Logger } from '@wlm/commons';

/** The stack's RabbitMQ, or the one `WLM_RABBITMQ_URL` names. */
export const AMQP_URL = process.env['WLM_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/**
 * A logger for the code a test runs, scoped to `component`: silent unless `WLM_TEST_LOG_LEVEL` asks
 * for more (e.g. `debug`), so a passing run prints nothing and a failing one can be rerun verbosely.
 */
export function createTestLogger(component: string): Logger {
  return createLogger({
    component,
    level: (process.env['WLM_TEST_LOG_LEVEL'] as 'debug' | undefined) ?? 'silent',
    pretty: false,
  });
}

/**
 * A namespace (AMQP topology, queue prefix) no other test file uses: `prefix` and 8 random hex
 * digits. Test files share the broker and run in parallel; each touches only its own queues.
 *
 * @example
 * const topology = new WlmTopology(testNamespace('wlmtest-dlq-'));
 */
export function testNamespace(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

const run = promisify(execFile);

/**
 * Has the broker force-close (CONNECTION_FORCED, as `rabbitmqctl close_all_connections` does) every
 * connection named `connectionName`. Only those: other test files share the broker. Returns how
 * many it closed.
 */
export async function forceCloseConnections(connectionName: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', [
    'list_connections',
    'pid',
    'client_properties',
    '-q',
    '--no-table-headers',
  ]);
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(`{"connection_name","${connectionName}"}`))
    .map((line) => line.split('\t')[0] ?? '');
  for (const pid of pids)
    await run('rabbitmqctl', ['close_connection', pid, 'wlm integration test: forced close']);
  return pids.length;
}

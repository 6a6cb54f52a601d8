import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** The stack's RabbitMQ, or the one `WLM_RABBITMQ_URL` names. */
export const AMQP_URL = process.env['WLM_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

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

/** The names of the broker's queues that start with `prefix` (a namespace and its dot, say). */
export async function queuesNamed(prefix: string): Promise<string[]> {
  const { stdout } = await run('rabbitmqctl', ['list_queues', 'name', '-q', '--no-table-headers']);
  return stdout.split('\n').filter((name) => name.startsWith(prefix));
}

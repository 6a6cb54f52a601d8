import { randomBytes } from 'node:crypto';

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

import type { QueueSpec, TopologySpec, WlmTopology } from '@wlm/commons/amqp';

/** Unused this long, a run's event queue deletes itself, so a harness killed mid-run leaves no litter. */
export const EVENTS_QUEUE_EXPIRES_MS = 60_000;

export interface MockTopology {
  readonly spec: TopologySpec;
  /** This run's own queue of every task event. */
  readonly eventsQueue: string;
}

/**
 * What the harness declares: the events and dead-letter exchanges, the scheduler's request queue (so a
 * request published before the scheduler starts waits rather than being unroutable), the dead-letter
 * queue, and a queue of its own bound to every task event.
 *
 * Its own queue rather than the orchestrator's: a real orchestrator or a second harness on the same
 * namespace would otherwise take events this run is waiting for. It is a durable queue with an expiry
 * rather than an exclusive one, because an exclusive queue dies with its connection and the events
 * that arrive while the connection recovers would be lost, leaving the run to time out.
 */
export function mockOrchestratorTopology(topology: WlmTopology, runId: string): MockTopology {
  const core = topology.core();
  const wanted = new Set([topology.queues.schedulerRequests, topology.queues.deadLetter]);
  const eventsQueue = `${topology.namespace}.mock-orchestrator.${runId}`;
  const ownQueue: QueueSpec = {
    name: eventsQueue,
    options: {
      durable: true,
      expires: EVENTS_QUEUE_EXPIRES_MS,
      deadLetterExchange: topology.exchanges.deadLetter,
      arguments: { 'x-queue-type': 'classic' },
    },
    bindings: [{ exchange: topology.exchanges.events, pattern: 'task.#' }],
  };
  return {
    eventsQueue,
    spec: {
      deadLetterExchange: topology.exchanges.deadLetter,
      exchanges: core.exchanges.filter(
        (exchange) =>
          exchange.name === topology.exchanges.events || exchange.name === topology.exchanges.deadLetter,
      ),
      queues: [...core.queues.filter((queue) => wanted.has(queue.name)), ownQueue],
    },
  };
}

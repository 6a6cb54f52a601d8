import { AmqpConnection, deleteTopology, mergeTopology } from '@wlm/commons/amqp';
import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import {
  attemptIdentityOf,
  controlMessageSchema,
  controlRoutingKey,
  runStartOf,
  taskAssignmentSchema,
  taskEventSchema,
  taskRequestSchema,
} from '@wlm/commons/wire';
import type { TopologySpec, WlmTopology } from '@wlm/commons/amqp';
import type {
  AttemptIdentity,
  CancelTaskInput,
  TaskEvent,
  TaskEventOf,
  TaskAssignmentInput,
  TaskEventState,
  TaskRequestInput,
} from '@wlm/commons/wire';
import { eventually } from '@wlm/test-support';

/** `experimentId/taskId/attempt`: the key every consumer is idempotent on. */
export function attemptKey(item: { experimentId: string; taskId: string; attempt: number }): string {
  return `${item.experimentId}/${item.taskId}/${item.attempt}`;
}

/** When and where a run started, as its worker reported it. */
export interface RunStart extends AttemptIdentity {
  workerId: string;
  at: string;
}

/**
 * The test's side of the broker, in the orchestrator's place: publishes TaskRequests to the
 * scheduler's queue and records every task event from the orchestrator's queue (which nothing else
 * consumes in a test namespace: the mock orchestrator has a queue of its own).
 */
export class E2eBroker {
  readonly events: TaskEvent[] = [];
  /** Task types of the requests published, whose request queues the scheduler declared. */
  readonly taskTypes = new Set<string>();

  private constructor(
    private readonly amqp: AmqpConnection,
    private readonly topology: WlmTopology,
  ) {}

  static async open(topology: WlmTopology, options: { recordEvents: boolean }): Promise<E2eBroker> {
    const amqp = await AmqpConnection.connect({
      url: loadConfig().rabbitmq.url,
      logger: createLogger({ component: 'e2e-test', level: 'silent', pretty: false }),
      topology: topology.core(),
      connectionName: `wlm-e2e-test-${topology.namespace}`,
      closeTimeoutMs: 5_000,
    });
    const broker = new E2eBroker(amqp, topology);
    if (!options.recordEvents) return broker;
    await amqp.consume(
      topology.queues.orchestratorEvents,
      taskEventSchema,
      (event) => void broker.events.push(event),
      { prefetch: 500 },
    );
    return broker;
  }

  /** Publishes raw bytes straight to `queue` (confirmed): what a broken or hostile publisher sends. */
  async publishRaw(queue: string, content: Buffer): Promise<void> {
    await this.amqp.publish('', queue, content, {});
  }

  /** Publishes requests (AMQP priority = request priority) and waits for every confirm. */
  async request(...requests: readonly TaskRequestInput[]): Promise<void> {
    for (const request of requests) this.taskTypes.add(request.taskType);
    await Promise.all(
      requests.map((request) =>
        this.amqp.publishMessage('', this.topology.queues.schedulerRequests, taskRequestSchema, request, {
          priority: request.priority,
        }),
      ),
    );
  }

  /**
   * Publishes assignments straight to their workers' queues (confirmed), as a scheduler that placed
   * them would: a test's way to know exactly what waits in a worker's queue.
   */
  async assign(...assignments: readonly TaskAssignmentInput[]): Promise<void> {
    for (const assignment of assignments) this.taskTypes.add(assignment.taskType);
    await Promise.all(
      assignments.map((assignment) =>
        this.amqp.publishMessage(
          '',
          this.topology.workerQueue(assignment.workerId),
          taskAssignmentSchema,
          assignment,
          { priority: assignment.priority },
        ),
      ),
    );
  }

  /** Publishes a cancel on the control exchange, as the orchestrator does, and waits for its confirm. */
  async cancel(cancel: CancelTaskInput): Promise<void> {
    await this.amqp.publishMessage(
      this.topology.exchanges.control,
      controlRoutingKey(cancel),
      controlMessageSchema,
      cancel,
    );
  }

  /** Events in `state`, optionally of one experiment, in arrival order. */
  eventsOf<S extends TaskEventState>(state: S, experimentId?: string): TaskEventOf<S>[] {
    return this.events.filter(
      (event): event is TaskEventOf<S> =>
        event.state === state && (experimentId === undefined || event.experimentId === experimentId),
    );
  }

  /**
   * The start of each run a worker reported, optionally of one experiment, in arrival order: its
   * RUNNING, or the `startedAt` of the event that ended a run too short to send one.
   */
  starts(experimentId?: string): RunStart[] {
    const starts: RunStart[] = [];
    for (const event of this.events) {
      if (experimentId !== undefined && event.experimentId !== experimentId) continue;
      const at = runStartOf(event);
      const workerId = 'workerId' in event ? event.workerId : undefined;
      if (at === undefined || workerId === undefined) continue;
      starts.push({ ...attemptIdentityOf(event), workerId, at });
    }
    return starts;
  }

  /** Waits until `count` tasks of `experimentId` have a COMPLETED event; returns those events. */
  async completed(
    experimentId: string,
    count: number,
    timeoutMs: number,
  ): Promise<TaskEventOf<'COMPLETED'>[]> {
    return eventually(
      `${count} tasks of ${experimentId} COMPLETED`,
      () => this.eventsOf('COMPLETED', experimentId),
      (events) => new Set(events.map((event) => event.taskId)).size >= count,
      timeoutMs,
    );
  }

  /** Waits for the first event in `state` of one task and returns it. */
  async waitForEvent<S extends TaskEventState>(
    state: S,
    experimentId: string,
    taskId: string,
    timeoutMs: number,
  ): Promise<TaskEventOf<S>> {
    const found = await eventually(
      `${state} of ${experimentId}/${taskId}`,
      () => this.eventsOf(state, experimentId).find((event) => event.taskId === taskId),
      (event) => event !== undefined,
      timeoutMs,
    );
    return found as TaskEventOf<S>;
  }

  /** Consumers of a queue, as the broker counts them. */
  async consumers(queue: string): Promise<number> {
    return this.amqp.withChannel(async (channel) => (await channel.checkQueue(queue)).consumerCount);
  }

  /** Messages ready in a queue (not those delivered and unacknowledged). */
  async messageCount(queue: string): Promise<number> {
    return this.amqp.withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);
  }

  /** Deletes `specs` (queues with their messages, then exchanges) in one go, then disconnects. */
  async destroy(specs: readonly TopologySpec[]): Promise<void> {
    try {
      await this.amqp.withChannel((channel) => deleteTopology(channel, mergeTopology(...specs)));
    } finally {
      await this.amqp.close();
    }
  }
}

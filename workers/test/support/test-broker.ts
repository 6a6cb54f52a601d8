import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { AmqpConnection, deleteTopology, mergeTopology } from '@wlm/commons/amqp';
import {
  controlMessageSchema,
  controlRoutingKey,
  taskAssignmentSchema,
  taskEventSchema,
} from '@wlm/commons/wire';
import type { TopologySpec, WlmTopology } from '@wlm/commons/amqp';
import type { TaskAssignment, TaskAssignmentInput, TaskEvent } from '@wlm/commons/wire';
import { AMQP_URL, createTestLogger, eventually } from '@wlm/test-support';

/** Silent unless WLM_TEST_LOG_LEVEL asks for more (e.g. `debug`). */
export const testLogger = createTestLogger('worker-test');

/**
 * The test's side of the broker: it plays the scheduler (publishes assignments straight to worker
 * queues, cancels to the control exchange) and listens to every task event on a queue of its own.
 */
export class TestBroker {
  readonly events: TaskEvent[] = [];
  private readonly extraSpecs: TopologySpec[] = [];

  private constructor(
    readonly amqp: AmqpConnection,
    readonly topology: WlmTopology,
  ) {}

  static async open(topology: WlmTopology): Promise<TestBroker> {
    const eventsQueue = `${topology.namespace}.test.events`;
    const spec: TopologySpec = {
      exchanges: [],
      queues: [
        {
          name: eventsQueue,
          options: { durable: true },
          bindings: [{ exchange: topology.exchanges.events, pattern: 'task.#' }],
        },
      ],
    };
    const amqp = await AmqpConnection.connect({
      url: AMQP_URL,
      logger: testLogger,
      topology: mergeTopology(topology.core(), spec),
      connectionName: `wlm-test-${topology.namespace}`,
    });
    const broker = new TestBroker(amqp, topology);
    broker.extraSpecs.push(spec);
    await amqp.consume(eventsQueue, taskEventSchema, (event) => void broker.events.push(event), {
      prefetch: 100,
    });
    return broker;
  }

  /** An assignment of an echo task to `workerId`, fresh ids unless given. */
  assignment(workerId: string, extra: Partial<TaskAssignmentInput> = {}): TaskAssignment {
    const now = new Date().toISOString();
    return taskAssignmentSchema.parse({
      v: 1,
      experimentId: `exp-${randomUUID()}`,
      run: 1,
      taskId: 'a',
      attempt: 1,
      taskType: 'echo',
      context: { message: 'hello' },
      priority: 5,
      requestedAt: now,
      assignmentId: randomUUID(),
      workerId,
      assignedAt: now,
      ...extra,
    });
  }

  async assign(assignment: TaskAssignment): Promise<void> {
    await this.amqp.publishMessage(
      '',
      this.topology.workerQueue(assignment.workerId),
      taskAssignmentSchema,
      assignment,
      {
        priority: assignment.priority,
      },
    );
  }

  async cancel(experimentId: string, taskId?: string): Promise<void> {
    const message = {
      v: 1 as const,
      type: 'CANCEL_TASK' as const,
      experimentId,
      run: 1,
      ...(taskId === undefined ? {} : { taskId }),
      reason: 'cancelled by the test',
      requestedAt: new Date().toISOString(),
    };
    await this.amqp.publishMessage(
      this.topology.exchanges.control,
      controlRoutingKey(message),
      controlMessageSchema,
      message,
    );
  }

  eventsOf(experimentId: string): TaskEvent[] {
    return this.events.filter((event) => event.experimentId === experimentId);
  }

  /** Waits for the first event of `experimentId` in `state` and returns it. */
  async waitForEvent<S extends TaskEvent['state']>(
    experimentId: string,
    state: S,
    timeoutMs = 20_000,
  ): Promise<Extract<TaskEvent, { state: S }>> {
    const found = await eventually(
      `${state} of ${experimentId}`,
      () => this.eventsOf(experimentId).find((event) => event.state === state),
      (event) => event !== undefined,
      timeoutMs,
    );
    return found as Extract<TaskEvent, { state: S }>;
  }

  /** Ready messages in a queue (unacknowledged ones are not counted). */
  async ready(queue: string): Promise<number> {
    return this.amqp.withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);
  }

  /** Takes the next ready message off `queue` and decodes it as an assignment. */
  async takeAssignment(queue: string): Promise<TaskAssignment | undefined> {
    return this.amqp.withChannel(async (channel) => {
      const message = await channel.get(queue, { noAck: true });
      return message === false
        ? undefined
        : taskAssignmentSchema.parse(JSON.parse(message.content.toString()));
    });
  }

  /** Deliveries of `queue` handed out and not yet acked, as RabbitMQ counts them. */
  async unacked(queue: string): Promise<number> {
    const { stdout } = await promisify(execFile)('rabbitmqctl', [
      'list_queues',
      '-q',
      '--no-table-headers',
      'name',
      'messages_unacknowledged',
    ]);
    const line = stdout.split('\n').find((row) => row.split('\t')[0] === queue);
    if (line === undefined) throw new Error(`queue ${queue} not listed by rabbitmqctl`);
    return Number(line.split('\t')[1]);
  }

  /** Deletes the namespace's queues and exchanges (and the workers' queues), then disconnects. */
  async destroy(workerIds: readonly string[]): Promise<void> {
    const specs = [
      ...workerIds.map((id) => this.topology.worker(id)),
      ...this.extraSpecs,
      this.topology.core(),
    ];
    await this.amqp.withChannel(async (channel) => {
      for (const spec of specs) await deleteTopology(channel, spec);
    });
    await this.amqp.close();
  }
}

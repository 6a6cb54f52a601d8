import { connect } from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, GetMessage } from 'amqplib';
import { WlmTopology, deleteTopology, mergeTopology } from '@wlm/commons/amqp';
import { loadConfig } from '@wlm/commons/config';
import { encodeMessage, parseMessage, taskEventSchema, taskRequestSchema } from '@wlm/commons/wire';
import type { Logger } from '@wlm/commons/logging';
import type { TaskEvent, TaskRequest, TaskRequestInput } from '@wlm/commons/wire';
import { SchedulerService } from '@wlm/scheduler';
import type { SchedulerServiceOptions } from '@wlm/scheduler';
import { AMQP_URL, createTestLogger, testNamespace } from '@wlm/test-support';

/** Silent unless WLM_TEST_LOG_LEVEL asks for more (e.g. `debug`). */
export const testLogger: Logger = createTestLogger('scheduler-test');

/** A topology namespace of its own for one test file: `stest<random>`. */
export function isolatedTopology(): WlmTopology {
  return new WlmTopology(testNamespace('stest'));
}

/** Starts a scheduler on `topology` talking to the Serf agent at `serfRpcAddr`. */
export function startScheduler(
  topology: WlmTopology,
  serfRpcAddr: string,
  overrides: Partial<SchedulerServiceOptions> = {},
): Promise<SchedulerService> {
  const config = loadConfig();
  return SchedulerService.start({
    config: { ...config, serf: { ...config.serf, rpcAddr: serfRpcAddr } },
    logger: testLogger,
    namespace: topology.namespace,
    // Short timings keep the tests quick without changing what they prove.
    alerts: { collectMs: 1_000 },
    backlogLogMs: 1_000,
    ...overrides,
  });
}

let requestSeq = 0;

/** A valid request for `taskType`; each call a new task id unless given. */
export function taskRequest(taskType: string, overrides: Partial<TaskRequestInput> = {}): TaskRequestInput {
  requestSeq += 1;
  return {
    v: 1,
    experimentId: 'exp-test',
    run: 1,
    taskId: `t${requestSeq}`,
    attempt: 1,
    taskType,
    context: { n: requestSeq },
    priority: 0,
    requestedAt: new Date().toISOString(),
    ...overrides,
  };
}

/**
 * The test's own view of the broker: publishes requests as the orchestrator would, reads every task
 * event (from the orchestrator's queue, which nobody else consumes in a test namespace) and cleans up.
 */
export class BrokerProbe {
  readonly events: TaskEvent[] = [];
  /** The task types of the requests sent, whose queues the scheduler declared: deleted on clean-up. */
  private readonly taskTypes = new Set<string>();

  private constructor(
    private readonly model: ChannelModel,
    private readonly channel: Channel,
    private readonly publisher: ConfirmChannel,
    private readonly topology: WlmTopology,
  ) {}

  static async open(topology: WlmTopology): Promise<BrokerProbe> {
    const model = await connect(AMQP_URL);
    model.on('error', () => undefined);
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    const publisher = await model.createConfirmChannel();
    publisher.on('error', () => undefined);
    const probe = new BrokerProbe(model, channel, publisher, topology);
    await channel.consume(
      topology.queues.orchestratorEvents,
      (message) => {
        if (message !== null) probe.events.push(parseMessage(taskEventSchema, message.content));
      },
      { noAck: true },
    );
    return probe;
  }

  /** Publishes requests to the scheduler's queue, AMQP priority = request priority, and waits for the confirms. */
  async request(...requests: TaskRequestInput[]): Promise<TaskRequest[]> {
    const parsed = requests.map((r) => taskRequestSchema.parse(r));
    for (const request of parsed) {
      this.taskTypes.add(request.taskType);
      this.publisher.sendToQueue(
        this.topology.queues.schedulerRequests,
        encodeMessage(taskRequestSchema, request),
        {
          persistent: true,
          priority: request.priority,
        },
      );
    }
    await this.publisher.waitForConfirms();
    return parsed;
  }

  /** Sends raw bytes, bypassing every schema: how poison reaches the scheduler. */
  async sendRaw(queue: string, content: Buffer): Promise<void> {
    this.publisher.sendToQueue(queue, content, { persistent: true });
    await this.publisher.waitForConfirms();
  }

  async publish(exchange: string, routingKey: string, content: Buffer): Promise<void> {
    this.publisher.publish(exchange, routingKey, content, { persistent: true });
    await this.publisher.waitForConfirms();
  }

  /** How many messages wait in `queue` (ready, not the ones delivered and unacknowledged). */
  async messageCount(queue: string): Promise<number> {
    return (await this.channel.checkQueue(queue)).messageCount;
  }

  get(queue: string): Promise<GetMessage | false> {
    return this.channel.get(queue, { noAck: true });
  }

  eventsOf<S extends TaskEvent['state']>(
    state: S,
    match: (event: Extract<TaskEvent, { state: S }>) => boolean = () => true,
  ): Extract<TaskEvent, { state: S }>[] {
    return this.events.filter(
      (event): event is Extract<TaskEvent, { state: S }> => event.state === state && match(event as never),
    );
  }

  /**
   * Deletes the namespace's queues and exchanges (core, the given workers' and the request queues of
   * the task types sent or named), then closes.
   */
  async cleanUp(workerIds: readonly string[], taskTypes: readonly string[] = []): Promise<void> {
    const types = new Set([...this.taskTypes, ...taskTypes]);
    const spec = mergeTopology(
      this.topology.core(),
      ...workerIds.map((id) => this.topology.worker(id)),
      ...[...types].map((taskType) => this.topology.requests(taskType)),
    );
    const channel = await this.model.createChannel();
    channel.on('error', () => undefined);
    await deleteTopology(channel, spec).catch(() => undefined);
    await this.model.close().catch(() => undefined);
  }
}

/** `experimentId/taskId/attempt` of an event or request. */
export function keyOf(item: { experimentId: string; taskId: string; attempt: number }): string {
  return `${item.experimentId}/${item.taskId}/${item.attempt}`;
}

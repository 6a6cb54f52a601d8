import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { encodeAdvertisementTags, exchangeWithControllers } from '@wlm/commons/advertisement';
import { declareTopology } from '@wlm/commons/amqp';
import { SerfRpcClient } from '@wlm/commons/serf';
import {
  encodeMessage,
  parseMessage,
  taskAssignmentSchema,
  taskEventRoutingKey,
  taskEventSchema,
  taskRequestSchema,
} from '@wlm/commons/wire';
import type { WlmTopology } from '@wlm/commons/amqp';
import type { TaskAssignment, TaskEventInput } from '@wlm/commons/wire';
import { AMQP_URL } from '@wlm/test-support';
import type { SerfAgent, SerfAgents } from '@wlm/test-support';

/** What the fake worker does with one assignment. */
export type Outcome =
  | { readonly kind: 'complete'; readonly delayMs?: number }
  | { readonly kind: 'fail'; readonly retryable: boolean; readonly reason?: string }
  /** Runs until {@link FakeWorker.release} (or the worker dies). */
  | { readonly kind: 'hold' };

export interface FakeWorkerOptions {
  readonly id: string;
  readonly topology: WlmTopology;
  readonly agents: SerfAgents;
  /** Gossip address of an agent of the scheduler's cluster. */
  readonly join: string;
  readonly slots: number;
  /** Deliveries taken at once; default `slots`. Lower leaves assignments waiting in the queue. */
  readonly prefetch?: number;
  readonly taskTypes: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly behaviour?: (assignment: TaskAssignment) => Outcome;
}

/**
 * A test harness standing in for the worker service (written in parallel): a real Serf agent of its
 * own advertising real tags, a real AMQP consumer of its queue (prefetch = slots) publishing real
 * events. Only the task execution is fake.
 *
 * Like the real worker, it recognises a copy of an assignment it already has (same assignment id:
 * the fence's re-publish of an unconfirmed placement, or a broker redelivery) and settles the copy
 * when the first run ends instead of running it again. Like the real worker too, it exchanges state
 * with every controller's agent once joined, so that each scheduler knows it at once.
 */
export class FakeWorker {
  /** Assignments run, each assignment id once. */
  readonly received: TaskAssignment[] = [];
  /** By assignment id: settles when the run of that assignment ends. */
  private readonly runs = new Map<string, Promise<void>>();
  private busy = 0;
  private readonly holds: Array<() => void> = [];
  private advertising: Promise<void> = Promise.resolve();
  private dead = false;

  private constructor(
    private readonly options: FakeWorkerOptions,
    private agent: SerfAgent,
    private serf: SerfRpcClient,
    private readonly model: ChannelModel,
    private readonly consumer: Channel,
    private readonly publisher: ConfirmChannel,
  ) {}

  static async start(options: FakeWorkerOptions): Promise<FakeWorker> {
    const model = await connect(AMQP_URL);
    model.on('error', () => undefined);
    const consumer = await model.createChannel();
    consumer.on('error', () => undefined);
    await declareTopology(consumer, options.topology.worker(options.id));
    const publisher = await model.createConfirmChannel();
    publisher.on('error', () => undefined);
    const agent = await options.agents.start({ name: options.id, tags: tagsOf(options, options.slots) });
    const serf = await SerfRpcClient.connect(agent.rpcClientOptions());
    await joinAsWorkersDo(serf, options.join);
    const worker = new FakeWorker(options, agent, serf, model, consumer, publisher);
    await consumer.prefetch(options.prefetch ?? options.slots);
    await consumer.consume(options.topology.workerQueue(options.id), (message) => {
      if (message !== null) void worker.onMessage(message);
    });
    return worker;
  }

  get id(): string {
    return this.options.id;
  }

  get gossipAddr(): string {
    return this.agent.bindAddr;
  }

  /** Ends every held task (they complete). */
  release(): void {
    for (const resume of this.holds.splice(0)) resume();
  }

  /** SIGKILLs its Serf agent (peers must detect the failure) and drops its AMQP connection. */
  /**
   * Announces its departure as the real worker does before it leaves: 0 free slots and the
   * departing mark in its tags, exchanged with every controller's agent. It does not leave: a test
   * then kills it, as if the leave intent had not reached anyone.
   */
  async announceDeparture(): Promise<void> {
    await this.serf.tags({ set: tagsOf(this.options, 0, { departing: true }) });
    await exchangeWithControllers(this.serf, []);
  }

  async kill(): Promise<void> {
    this.dead = true;
    await this.agent.kill('SIGKILL');
    await this.serf.close();
    await this.model.close().catch(() => undefined);
  }

  /** Closes its AMQP connection but leaves its Serf agent running: alive to Serf, gone to the broker. */
  async dropConnection(): Promise<void> {
    this.dead = true;
    await this.model.close().catch(() => undefined);
  }

  /** Starts its Serf agent again under the same name (the worker is back), advertising free slots. */
  async reviveAgent(): Promise<void> {
    this.agent = await this.options.agents.start({
      name: this.options.id,
      tags: tagsOf(this.options, this.options.slots),
      bindPort: this.agent.bindPort,
    });
    this.serf = await SerfRpcClient.connect(this.agent.rpcClientOptions());
    await joinAsWorkersDo(this.serf, this.options.join);
  }

  /** Leaves the cluster gracefully and closes its connection. */
  async stop(): Promise<void> {
    this.dead = true;
    this.release();
    if (this.agent.running) await this.serf.leave().catch(() => undefined);
    await this.serf.close();
    await this.agent.kill('SIGTERM');
    await this.model.close().catch(() => undefined);
  }

  private async onMessage(message: ConsumeMessage): Promise<void> {
    const assignment = parseMessage(taskAssignmentSchema, message.content);
    const firstRun = this.runs.get(assignment.assignmentId);
    if (firstRun !== undefined) {
      await firstRun;
      if (!this.dead) this.consumer.ack(message);
      return;
    }
    const run = this.run(assignment, message);
    this.runs.set(assignment.assignmentId, run);
    await run;
  }

  private async run(assignment: TaskAssignment, message: ConsumeMessage): Promise<void> {
    this.received.push(assignment);
    this.busy += 1;
    this.advertise();
    await this.publish(this.event(assignment, { state: 'RUNNING' }));
    const outcome = this.options.behaviour?.(assignment) ?? { kind: 'complete' };
    if (outcome.kind === 'hold') await new Promise<void>((resume) => this.holds.push(resume));
    if (outcome.kind === 'complete' && (outcome.delayMs ?? 0) > 0) await sleep(outcome.delayMs);
    if (this.dead) return;
    if (outcome.kind === 'fail') {
      const request = taskRequestSchema.parse(assignment);
      await this.publish(
        this.event(assignment, {
          state: 'FAILED',
          retryable: outcome.retryable,
          reason: outcome.reason ?? `failed on ${this.id}`,
          errorCode: 'TEST_FAILURE',
          // As a real worker does: the request unchanged; excluding this worker is the scheduler's call.
          ...(outcome.retryable ? { request } : {}),
        }),
      );
    } else {
      await this.publish(this.event(assignment, { state: 'COMPLETED', outputs: { worker: this.id } }));
    }
    this.consumer.ack(message);
    this.busy -= 1;
    this.advertise();
  }

  private event(assignment: TaskAssignment, fields: Record<string, unknown>): TaskEventInput {
    return {
      v: 1,
      experimentId: assignment.experimentId,
      run: assignment.run,
      taskId: assignment.taskId,
      attempt: assignment.attempt,
      at: new Date().toISOString(),
      workerId: this.id,
      ...fields,
    } as TaskEventInput;
  }

  private publish(event: TaskEventInput): Promise<void> {
    const content = encodeMessage(taskEventSchema, event);
    return new Promise((resolve, reject) => {
      this.publisher.publish(
        this.options.topology.exchanges.events,
        taskEventRoutingKey(event),
        content,
        { persistent: true, contentType: 'application/json' },
        (error: unknown) =>
          error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(),
      );
    });
  }

  /** Publishes the current free slots, one tags call at a time, as a worker does on every change. */
  private advertise(): void {
    const free = Math.max(0, this.options.slots - this.busy);
    this.advertising = this.advertising
      .then(() => (this.dead ? undefined : this.serf.tags({ set: tagsOf(this.options, free) })))
      .catch(() => undefined);
  }
}

/** Joins through `address` with the tags already set, then meets every controller, as the worker does. */
async function joinAsWorkersDo(serf: SerfRpcClient, address: string): Promise<void> {
  await serf.join([address]);
  await exchangeWithControllers(serf, [address]);
}

function tagsOf(
  options: FakeWorkerOptions,
  freeSlots: number,
  { departing = false }: { departing?: boolean } = {},
): Record<string, string> {
  return encodeAdvertisementTags({
    ...(departing ? { departing: true } : {}),
    role: 'worker',
    workerId: options.id,
    queue: options.topology.workerQueue(options.id),
    slots: options.slots,
    freeSlots,
    taskTypes: { ...options.taskTypes },
    labels: { ...options.labels },
  });
}

import { setTimeout as sleep } from 'node:timers/promises';
import { AmqpConnection, deleteTopology } from '@wlm/commons/amqp';
import {
  controlMessageSchema,
  taskEventRoutingKey,
  taskEventSchema,
  taskRequestSchema,
} from '@wlm/commons/wire';
import type { WlmTopology } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { ControlMessage, JsonValue, TaskEventInput, TaskRequest } from '@wlm/commons/wire';
import { waitFor } from '@wlm/test-support';

/** What the fake worker does with one request. */
export type Outcome =
  | { kind: 'complete'; outputs?: JsonValue; delayMs?: number }
  | { kind: 'fail'; retryable: boolean; reason?: string }
  /** Reports CANCELLED, as the scheduler does for a request it drops. */
  | { kind: 'cancel'; reason: string }
  /** Reports RUNNING, then nothing until {@link FakeCluster.release}. */
  | { kind: 'hold' }
  /** Reports WAITING for a worker of the request's type, as the scheduler does when none runs it, and nothing else. */
  | { kind: 'wait-for-worker' };

export type Behaviour = (request: TaskRequest) => Outcome;

/**
 * Stands in for the scheduler and the workers: consumes the TaskRequests the orchestrator publishes
 * and answers with TaskEvents (RUNNING, then COMPLETED with the request's context as outputs, like
 * the echo plugin). Idempotent on (experimentId, run, taskId, attempt) like the real consumers, and it
 * records every request and control message it sees, duplicates included, for assertions.
 */
export class FakeCluster {
  readonly requests: TaskRequest[] = [];
  readonly controls: ControlMessage[] = [];
  /** Keys of attempts it ran, in order. */
  readonly ran: string[] = [];
  private readonly seen = new Set<string>();
  /** Held attempts, each with the publish of its RUNNING event (a release completes after it). */
  private readonly held = new Map<string, { request: TaskRequest; running: Promise<void> }>();
  private behaviour: Behaviour = () => ({ kind: 'complete' });

  private constructor(
    readonly amqp: AmqpConnection,
    readonly topology: WlmTopology,
  ) {}

  static async start(url: string, topology: WlmTopology, logger: Logger): Promise<FakeCluster> {
    const controlQueue = `${topology.namespace}.test.control`;
    const amqp = await AmqpConnection.connect({
      url,
      logger,
      connectionName: 'fake cluster',
      topology: {
        ...topology.core(),
        queues: [
          ...topology.core().queues,
          {
            name: controlQueue,
            options: { durable: true, arguments: { 'x-queue-type': 'classic' } },
            bindings: [{ exchange: topology.exchanges.control, pattern: 'control.#' }],
          },
        ],
      },
    });
    const cluster = new FakeCluster(amqp, topology);
    await amqp.consume(
      topology.queues.schedulerRequests,
      taskRequestSchema,
      (request) => cluster.onRequest(request),
      {
        prefetch: 200,
      },
    );
    await amqp.consume(controlQueue, controlMessageSchema, (message) => void cluster.controls.push(message));
    return cluster;
  }

  /** Decides what happens to each request from now on (default: complete at once). */
  behave(behaviour: Behaviour): void {
    this.behaviour = behaviour;
  }

  /** Requests for one experiment (duplicates included), in arrival order. */
  requestsOf(experimentId: string): TaskRequest[] {
    return this.requests.filter((request) => request.experimentId === experimentId);
  }

  /**
   * Completes a held task with `outputs` (default: its context). A request counts as held from the
   * moment it is recorded in {@link requests}, so a test that saw it there can release it at once;
   * the COMPLETED event then follows its RUNNING one.
   */
  async release(experimentId: string, taskId: string, outputs?: JsonValue): Promise<void> {
    for (const [key, { request, running }] of this.held) {
      if (request.experimentId === experimentId && request.taskId === taskId) {
        this.held.delete(key);
        await running;
        await this.complete(request, outputs ?? request.context);
      }
    }
  }

  /** Publishes an event as a worker would (e.g. a duplicate, to test idempotency). */
  async publish(event: TaskEventInput): Promise<void> {
    await this.amqp.publishMessage(
      this.topology.exchanges.events,
      taskEventRoutingKey(event),
      taskEventSchema,
      event,
    );
  }

  /** Polls until `condition` holds, failing naming `what` after `timeoutMs` (default 20 s). */
  async waitFor(what: string, condition: () => boolean, timeoutMs?: number): Promise<void> {
    await waitFor(what, condition, timeoutMs);
  }

  /** Closes the connection and deletes the namespace's queues and exchanges. */
  async stop(): Promise<void> {
    const controlQueue = `${this.topology.namespace}.test.control`;
    await this.amqp
      .withChannel(async (channel) => {
        await channel.deleteQueue(controlQueue);
        await deleteTopology(channel, this.topology.core());
      })
      .catch(() => undefined);
    await this.amqp.close();
  }

  private async onRequest(request: TaskRequest): Promise<void> {
    this.requests.push(request);
    const key = `${request.experimentId}/${request.taskId}/${request.attempt}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.ran.push(key);
    const outcome = this.behaviour(request);
    const base = {
      v: 1 as const,
      experimentId: request.experimentId,
      run: request.run,
      taskId: request.taskId,
      attempt: request.attempt,
    };
    if (outcome.kind === 'wait-for-worker') {
      await this.publish({
        ...base,
        state: 'WAITING',
        taskType: request.taskType,
        message: `waiting for a worker that runs ${request.taskType}`,
        at: new Date().toISOString(),
      });
      return;
    }
    const running = this.publish({
      ...base,
      state: 'RUNNING',
      workerId: 'fake-worker',
      at: new Date().toISOString(),
    });
    if (outcome.kind === 'hold') {
      // Held before the RUNNING publish is confirmed: a release() in that window must find it, or
      // the task would never complete (a republished request is dropped as already seen).
      this.held.set(key, { request, running });
      await running;
      return;
    }
    await running;
    if (outcome.kind === 'cancel') {
      await this.publish({
        ...base,
        state: 'CANCELLED',
        reason: outcome.reason,
        at: new Date().toISOString(),
      });
      return;
    }
    if (outcome.kind === 'fail') {
      await this.publish({
        ...base,
        state: 'FAILED',
        workerId: 'fake-worker',
        reason: outcome.reason ?? 'failed on purpose',
        retryable: outcome.retryable,
        at: new Date().toISOString(),
      });
      return;
    }
    if (outcome.delayMs !== undefined) await sleep(outcome.delayMs);
    await this.complete(request, outcome.outputs ?? request.context);
  }

  private async complete(request: TaskRequest, outputs: JsonValue): Promise<void> {
    await this.publish({
      v: 1,
      experimentId: request.experimentId,
      run: request.run,
      taskId: request.taskId,
      attempt: request.attempt,
      state: 'COMPLETED',
      workerId: 'fake-worker',
      outputs,
      at: new Date().toISOString(),
    });
  }
}

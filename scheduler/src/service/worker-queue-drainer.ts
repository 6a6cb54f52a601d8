import type { GetMessage } from 'amqplib';
import {
  countedDeliveries,
  DEFAULT_MAX_DELIVERIES,
  REDELIVERY_LIMIT,
  copyHeaders,
  deadLetterHeaders,
  errorCodeOf,
  judgeDelivery,
  reasonOf,
} from '@wlm/commons/amqp';
import { isRetryableError } from '@wlm/commons/errors';
import {
  attemptIdentityOf,
  MAX_INCIDENT_TASKS,
  parseMessage,
  taskAssignmentSchema,
  taskRequestSchema,
} from '@wlm/commons/wire';
import type { AmqpConnection, DeadLetterDetails, WlmTopology } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { IncidentTask, TaskAssignment } from '@wlm/commons/wire';
import { nextAttemptRequest } from './retry-backoff';
import type { SchedulerMessages } from './scheduler-messages';

/** Assignments taken off the queue at once; their publishes are confirmed together. */
const BATCH = 100;

/** The wire schema's limit on attempts: work past it cannot be requested again. */
const MAX_ATTEMPT = 1000;

/** What one pass over a lost worker's queue did. */
export interface DrainResult {
  /**
   * False when someone consumes the queue (the worker, or another process of it): nothing was taken,
   * or — the worker being known gone — only assignments never delivered.
   */
  readonly drained: boolean;
  /** Tasks moved, at most {@link MAX_INCIDENT_TASKS} of them listed. */
  readonly tasks: IncidentTask[];
  /** Tasks moved in all. */
  readonly count: number;
}

export interface WorkerQueueDrainerOptions {
  readonly amqp: AmqpConnection;
  readonly topology: WlmTopology;
  readonly messages: SchedulerMessages;
  readonly logger: Logger;
  /** Deliveries of an assignment (by workers and by drains) before it is dead-lettered. Default 10. */
  readonly maxDeliveries?: number;
  /** Names this scheduler in the dead letters it makes. */
  readonly consumerName?: string;
}

/** What became of one assignment taken off the queue. */
type Outcome = { readonly moved: IncidentTask } | { readonly moved: undefined };

/**
 * Moves a lost worker's queued assignments to other workers. Each assignment becomes the request of
 * its next attempt with the lost worker excluded, plus a FAILED event for the lost attempt
 * (retryable, `WORKER_LOST`, no `request` — so nobody retries it a second time); the assignment is
 * acknowledged only after both are confirmed. A worker loss is not the task's fault, so it does not
 * count against the task's retry policy; only the wire limit on attempts stops it.
 *
 * A new attempt is made only for an attempt known not to run any more. An assignment never delivered
 * to a worker (`redelivered` false and no delivery counted in its `x-wlm-deliveries` header) never
 * started, so it moves at once. One delivered before may be running: when only the broker lost the
 * worker (its connection dropped, Serf still has it alive) the worker may well be running it and
 * reconnect, so it stays in the worker's queue until Serf says the worker failed or left — then it
 * moves. A queue somebody still consumes while Serf says the worker failed (a host cut off from the
 * cluster, whose connection the broker has not dropped yet, or one cut off from the schedulers but
 * not from the broker) gives up only its never-delivered assignments: whatever the broker delivered
 * may be running there. A queue somebody consumes while Serf calls the worker alive is left alone.
 *
 * Taking a message with `get` is a delivery like any other, counted the same way (`delivery-count`):
 * a pass that fails (a publish not confirmed) or dies with its scheduler returns its messages
 * flagged `redelivered`, and the next pass counts that in a copy before moving them, so an
 * assignment that cannot be moved is dead-lettered after `maxDeliveries` instead of looping.
 */
export class WorkerQueueDrainer {
  private readonly log: Logger;
  private readonly maxDeliveries: number;

  constructor(private readonly options: WorkerQueueDrainerOptions) {
    this.log = options.logger.child({ module: 'drainer' });
    this.maxDeliveries = options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
  }

  /** Whether the worker's queue has no consumer and holds messages (`undefined` when it does not exist). */
  async needsDraining(workerId: string): Promise<boolean | undefined> {
    const queue = this.options.topology.workerQueue(workerId);
    try {
      const { consumerCount, messageCount } = await this.options.amqp.withChannel((channel) =>
        channel.checkQueue(queue),
      );
      return consumerCount === 0 && messageCount > 0;
    } catch (error) {
      this.log.debug({ err: error, queue }, 'cannot check the worker queue');
      return undefined;
    }
  }

  /**
   * Takes the worker's assignments off its queue: all of them when the worker is `gone` (Serf says
   * it failed or left) and nobody consumes the queue; only those never delivered to it when it is
   * not known gone, or gone but still consuming (a cut-off host whose connection the broker has not
   * dropped yet); nothing when it consumes its queue and is not known gone.
   */
  async drain(workerId: string, gone: boolean): Promise<DrainResult> {
    const queue = this.options.topology.workerQueue(workerId);
    const tasks: IncidentTask[] = [];
    let count = 0;
    const drained = await this.options.amqp.withChannel(async (channel) => {
      let consumed: boolean;
      try {
        consumed = (await channel.checkQueue(queue)).consumerCount > 0;
      } catch (error) {
        // No such queue (the worker never declared it): nothing to move. The channel is closed now.
        this.log.debug({ err: error, queue }, 'no worker queue to drain');
        return true;
      }
      if (consumed && !gone) return false;
      // Consumed still, or not known gone: what was delivered may be running (see the class comment).
      const onlyUndelivered = consumed || !gone;
      // Held unacknowledged until the pass ends, so `get` does not hand them out again meanwhile.
      const leftInPlace: GetMessage[] = [];
      for (;;) {
        const batch: GetMessage[] = [];
        while (batch.length < BATCH) {
          const message = await channel.get(queue, { noAck: false });
          if (message === false) break;
          if (onlyUndelivered && deliveredBefore(message)) leftInPlace.push(message);
          else batch.push(message);
        }
        if (batch.length === 0) {
          for (const message of leftInPlace) channel.nack(message, false, true);
          if (leftInPlace.length > 0)
            this.log.info(
              { workerId, left: leftInPlace.length },
              'assignments the worker may be running left in its queue until it is known gone',
            );
          return !consumed;
        }
        // Every message of the batch is settled before a failure ends the pass, so the ones moved are
        // not moved again when the channel closes.
        const outcomes = await Promise.allSettled(
          batch.map(async (message) => {
            const outcome = await this.takeOne(queue, workerId, message);
            channel.ack(message);
            return outcome;
          }),
        );
        let failure: unknown;
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') {
            failure ??= outcome.reason;
            continue;
          }
          const { moved } = outcome.value;
          if (moved === undefined) continue;
          count += 1;
          if (tasks.length < MAX_INCIDENT_TASKS) tasks.push(moved);
        }
        // Unsettled ones go back to the queue with the channel, flagged redelivered: counted next pass.
        if (failure !== undefined) throw failure;
      }
    });
    if (count > 0) this.log.warn({ workerId, moved: count }, 'moved assignments off a lost worker');
    return { drained, tasks, count };
  }

  /**
   * Counts the delivery, then moves the assignment, dead-letters it, or (when a pass failed with it
   * before) republishes it with that failure counted, to be taken again. Throws when a publish was
   * not confirmed, leaving the message unacknowledged: it returns to the queue with the channel.
   */
  private async takeOne(queue: string, workerId: string, message: GetMessage): Promise<Outcome> {
    const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
    const verdict = judgeDelivery(headers, message.fields.redelivered, this.maxDeliveries);
    const deadLetter = (reason: unknown, details: DeadLetterDetails): Promise<void> =>
      this.deadLetter(queue, message, reason, details);
    if (verdict.action === 'limit') {
      const reason = `taken off lost worker ${workerId}'s queue ${verdict.previous} times without being moved`;
      await deadLetter(reason, { code: REDELIVERY_LIMIT, deliveries: verdict.previous });
      return { moved: undefined };
    }
    if (verdict.action === 'recount') {
      const { priority } = message.properties as { priority?: unknown };
      await this.options.amqp.publish('', queue, message.content, {
        headers: copyHeaders(headers, message.fields, verdict.previous),
        ...(typeof priority === 'number' ? { priority } : {}),
      });
      return { moved: undefined };
    }
    try {
      return { moved: await this.move(message.content, workerId, deadLetter) };
    } catch (error) {
      if (isRetryableError(error)) throw error;
      // Not something a later pass would do better (e.g. a next request the wire refuses).
      await deadLetter(`cannot move it off lost worker ${workerId}: ${reasonOf(error)}`, {
        code: errorCodeOf(error),
        deliveries: verdict.deliveries,
      });
      return { moved: undefined };
    }
  }

  /**
   * Requests the next attempt of one assignment; undefined when it was not a valid assignment (it
   * went to the dead-letter queue instead).
   */
  private async move(
    content: Buffer,
    workerId: string,
    deadLetter: (reason: unknown, details: DeadLetterDetails) => Promise<void>,
  ): Promise<IncidentTask | undefined> {
    let assignment: TaskAssignment;
    try {
      assignment = parseMessage(taskAssignmentSchema, content);
    } catch (error) {
      await deadLetter(error, { code: 'MESSAGE_INVALID' });
      return undefined;
    }
    const { messages } = this.options;
    const task: IncidentTask = { ...attemptIdentityOf(assignment), taskType: assignment.taskType };
    if (assignment.attempt >= MAX_ATTEMPT) {
      const limit = new Error(`attempt ${assignment.attempt} reached the limit of ${MAX_ATTEMPT}`);
      await deadLetter(limit, { code: 'ATTEMPT_LIMIT' });
      return task;
    }
    // The request's own fields: the schema strips the assignment's placement fields.
    const next = nextAttemptRequest(taskRequestSchema.parse(assignment), {
      failedOn: workerId,
      delayMs: 0,
      now: new Date(),
    });
    await Promise.all([messages.request(next), messages.workerLost(assignment, next.attempt)]);
    return task;
  }

  private async deadLetter(
    queue: string,
    message: GetMessage,
    reason: unknown,
    details: DeadLetterDetails,
  ): Promise<void> {
    const { amqp, topology } = this.options;
    this.log.warn({ err: reason, queue }, 'dead-lettering a message found on a lost worker queue');
    const { priority } = message.properties as { priority?: unknown };
    await amqp.publish(topology.exchanges.deadLetter, queue, message.content, {
      headers: deadLetterHeaders(message, queue, reason, {
        ...details,
        ...(this.options.consumerName === undefined ? {} : { consumer: this.options.consumerName }),
      }),
      ...(typeof priority === 'number' ? { priority } : {}),
    });
  }
}

/**
 * Whether a worker may have started the assignment: the broker delivered this message before, or it
 * is a copy a consumer made after delivering it (see `delivery-count`).
 */
function deliveredBefore(message: GetMessage): boolean {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  return message.fields.redelivered || countedDeliveries(headers) > 0;
}

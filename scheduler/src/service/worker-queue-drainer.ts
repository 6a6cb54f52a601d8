import {
  attemptIdentityOf,
  DEAD_LETTER_HEADERS,
  MAX_INCIDENT_TASKS,
  parseMessage,
  taskAssignmentSchema,
  taskRequestSchema,
} from '@wlm/commons';
import type { AmqpConnection, IncidentTask, Logger, TaskAssignment, WlmTopology } from '@wlm/commons';
import { nextAttemptRequest } from './retry-backoff';
import type { SchedulerMessages } from './scheduler-messages';

/** Assignments taken off the queue at once; their publishes are confirmed together. */
const BATCH = 100;

/** The wire schema's limit on attempts: work past it cannot be requested again. */
const MAX_ATTEMPT = 1000;

/** What one pass over a lost worker's queue did. */
export interface DrainResult {
  /** False when someone consumes the queue (the worker, or another process of it): nothing was taken. */
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
}

/**
 * Moves a lost worker's queued assignments to other workers. Each assignment becomes the request of
 * its next attempt with the lost worker excluded, plus a FAILED event for the lost attempt
 * (retryable, `WORKER_LOST`, no `request` — so nobody retries it a second time); the assignment is
 * acknowledged only after both are confirmed. A worker loss is not the task's fault, so it does not
 * count against the task's retry policy; only the wire limit on attempts stops it.
 *
 * A new attempt is made only for an attempt known not to run any more. An assignment the broker
 * never delivered (`redelivered` false) never started, so it moves at once. One it delivered may be
 * running: when only the broker lost the worker (its connection dropped, Serf still has it alive)
 * the worker may well be running it and reconnect, so it stays in the worker's queue until Serf says
 * the worker failed or left — then it moves. A queue somebody consumes is left alone: the worker is
 * not dead to the broker, and it will run what it holds.
 */
export class WorkerQueueDrainer {
  private readonly log: Logger;

  constructor(private readonly options: WorkerQueueDrainerOptions) {
    this.log = options.logger.child({ module: 'drainer' });
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
   * Takes the worker's assignments off its queue while it has no consumer: all of them when the
   * worker is `gone` (Serf says it failed or left), else only those never delivered to it.
   */
  async drain(workerId: string, gone: boolean): Promise<DrainResult> {
    const queue = this.options.topology.workerQueue(workerId);
    const tasks: IncidentTask[] = [];
    let count = 0;
    const drained = await this.options.amqp.withChannel(async (channel) => {
      try {
        if ((await channel.checkQueue(queue)).consumerCount > 0) return false;
      } catch (error) {
        // No such queue (the worker never declared it): nothing to move. The channel is closed now.
        this.log.debug({ err: error, queue }, 'no worker queue to drain');
        return true;
      }
      // Held unacknowledged until the pass ends, so `get` does not hand them out again meanwhile.
      const leftInPlace: Array<Exclude<Awaited<ReturnType<typeof channel.get>>, false>> = [];
      for (;;) {
        const batch: Array<Exclude<Awaited<ReturnType<typeof channel.get>>, false>> = [];
        while (batch.length < BATCH) {
          const message = await channel.get(queue, { noAck: false });
          if (message === false) break;
          if (!gone && message.fields.redelivered) leftInPlace.push(message);
          else batch.push(message);
        }
        if (batch.length === 0) {
          for (const message of leftInPlace) channel.nack(message, false, true);
          if (leftInPlace.length > 0)
            this.log.info(
              { workerId, left: leftInPlace.length },
              'assignments the worker may be running left in its queue until Serf confirms it is gone',
            );
          return true;
        }
        await Promise.all(
          batch.map(async (message) => {
            const moved = await this.move(message.content, workerId, (reason, code) =>
              this.deadLetter(queue, message.content, message.properties.headers, reason, code),
            );
            channel.ack(message);
            if (moved === undefined) return;
            count += 1;
            if (tasks.length < MAX_INCIDENT_TASKS) tasks.push(moved);
          }),
        );
      }
    });
    if (count > 0) this.log.warn({ workerId, moved: count }, 'moved assignments off a lost worker');
    return { drained, tasks, count };
  }

  /**
   * Requests the next attempt of one assignment; undefined when it was not a valid assignment (it
   * went to the dead-letter queue instead). Throws when a publish was not confirmed, leaving the
   * message unacknowledged: it returns to the queue with the channel, for the next pass.
   */
  private async move(
    content: Buffer,
    workerId: string,
    deadLetter: (reason: unknown, code: string) => Promise<void>,
  ): Promise<IncidentTask | undefined> {
    let assignment: TaskAssignment;
    try {
      assignment = parseMessage(taskAssignmentSchema, content);
    } catch (error) {
      await deadLetter(error, 'MESSAGE_INVALID');
      return undefined;
    }
    const { messages } = this.options;
    const task: IncidentTask = { ...attemptIdentityOf(assignment), taskType: assignment.taskType };
    if (assignment.attempt >= MAX_ATTEMPT) {
      const limit = new Error(`attempt ${assignment.attempt} reached the limit of ${MAX_ATTEMPT}`);
      await deadLetter(limit, 'ATTEMPT_LIMIT');
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
    content: Buffer,
    headers: unknown,
    reason: unknown,
    code: string,
  ): Promise<void> {
    const { amqp, topology } = this.options;
    this.log.warn({ err: reason, queue }, 'dead-lettering a message found on a lost worker queue');
    await amqp.publish(topology.exchanges.deadLetter, queue, content, {
      headers: {
        ...(typeof headers === 'object' && headers !== null ? headers : {}),
        [DEAD_LETTER_HEADERS.error]:
          reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason),
        [DEAD_LETTER_HEADERS.errorCode]: code,
        [DEAD_LETTER_HEADERS.sourceQueue]: queue,
        [DEAD_LETTER_HEADERS.deadLetteredAt]: new Date().toISOString(),
      },
    });
  }
}

import { randomUUID } from 'node:crypto';
import {
  AmqpPublishError,
  declareTopology,
  taskAssignmentSchema,
  taskEventRoutingKey,
  taskEventSchema,
} from '@wlm/commons';
import type { AmqpConnection, TaskAssignment, TaskEventInput, TaskRequest, WlmTopology } from '@wlm/commons';

/**
 * Sends a placed request to its worker: the TaskAssignment to the worker's queue (AMQP priority =
 * request priority) and a QUEUED event, both published at once so their confirms overlap.
 */
export class AssignmentPublisher {
  /** Worker queues declared by this process (or being declared), so each costs one round trip. */
  private readonly declared = new Map<string, Promise<void>>();

  constructor(
    private readonly amqp: AmqpConnection,
    private readonly topology: WlmTopology,
  ) {}

  /**
   * Resolves when both messages are confirmed. Rejects when the assignment was not confirmed (the
   * caller requeues the request); a QUEUED event the broker refused is only worth a log line, since
   * the worker's RUNNING follows anyway — so it resolves then, with `queuedEventError` set.
   */
  async publish(
    request: TaskRequest,
    workerId: string,
  ): Promise<{ assignment: TaskAssignment; queuedEventError?: unknown }> {
    await this.ensureQueue(workerId);
    const now = new Date().toISOString();
    const assignment: TaskAssignment = { ...request, assignmentId: randomUUID(), workerId, assignedAt: now };
    const queued: TaskEventInput = {
      v: 1,
      state: 'QUEUED',
      experimentId: request.experimentId,
      taskId: request.taskId,
      attempt: request.attempt,
      at: now,
      workerId,
      assignmentId: assignment.assignmentId,
    };
    const [sent, announced] = await Promise.allSettled([
      this.amqp.publishMessage('', this.topology.workerQueue(workerId), taskAssignmentSchema, assignment, {
        priority: request.priority,
        messageId: assignment.assignmentId,
      }),
      this.amqp.publishMessage(
        this.topology.exchanges.events,
        taskEventRoutingKey(queued),
        taskEventSchema,
        queued,
      ),
    ]);
    if (sent.status === 'rejected') {
      // The queue may have been deleted since we declared it; declare it again next time.
      if (sent.reason instanceof AmqpPublishError && sent.reason.failure === 'unroutable')
        this.declared.delete(workerId);
      throw sent.reason;
    }
    return announced.status === 'rejected'
      ? { assignment, queuedEventError: announced.reason }
      : { assignment };
  }

  /** A message to a queue that does not exist yet would be unroutable: declare the worker's queues first. */
  private ensureQueue(workerId: string): Promise<void> {
    let declaring = this.declared.get(workerId);
    if (declaring === undefined) {
      declaring = this.amqp.withChannel((channel) =>
        declareTopology(channel, this.topology.worker(workerId)),
      );
      this.declared.set(workerId, declaring);
      declaring.catch(() => this.declared.delete(workerId));
    }
    return declaring;
  }
}

import { randomUUID } from 'node:crypto';
import { declareTopology } from '@wlm/commons/amqp';
import { AmqpPublishError } from '@wlm/commons/errors';
import {
  taskAssignmentSchema,
  taskEventRoutingKey,
  taskEventSchema,
  attemptIdentityOf,
} from '@wlm/commons/wire';
import type { AmqpConnection, WlmTopology } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { TaskAssignment, TaskEventInput, TaskRequest } from '@wlm/commons/wire';
import type { PlacementFence, PlacementKey } from '../fence';

/** What placing a request came to. */
export type PlacementResult =
  | {
      readonly kind: 'placed';
      readonly assignment: TaskAssignment;
      /** Set when the QUEUED event was refused: worth a log line only, the worker's RUNNING follows. */
      readonly queuedEventError?: unknown;
    }
  /** The attempt (and round) was placed before, by this or another instance: nothing was sent. */
  | { readonly kind: 'duplicate'; readonly workerId: string; readonly assignmentId: string };

/**
 * Sends a placed request to its worker: claims the placement in the {@link PlacementFence}, then
 * publishes the TaskAssignment to the worker's queue (AMQP priority = request priority) and a QUEUED
 * event at once so their confirms overlap, then confirms the claim. An attempt placed before is not
 * sent again; one claimed but never confirmed (its scheduler died in between) is sent again exactly
 * as claimed — same worker, same assignment id — so its worker sees one assignment, not two.
 */
export class AssignmentPublisher {
  /** Worker queues declared by this process (or being declared), so each costs one round trip. */
  private readonly declared = new Map<string, Promise<void>>();

  constructor(
    private readonly amqp: AmqpConnection,
    private readonly topology: WlmTopology,
    private readonly fence: PlacementFence,
    private readonly logger: Logger,
  ) {}

  /**
   * Resolves once the assignment is confirmed (or found placed before). Rejects when the claim or the
   * assignment's publish failed: the caller requeues the request, and its next delivery finds the
   * claim and sends that same assignment.
   */
  async publish(request: TaskRequest, workerId: string): Promise<PlacementResult> {
    const key = placementKeyOf(request);
    const proposed = randomUUID();
    const claim = await this.fence.claim({ ...key, workerId, assignmentId: proposed });
    if (claim.kind === 'placed')
      return { kind: 'duplicate', workerId: claim.workerId, assignmentId: claim.assignmentId };
    const target =
      claim.kind === 'ours'
        ? { workerId, assignmentId: proposed }
        : { workerId: claim.workerId, assignmentId: claim.assignmentId };
    const sent = await this.send(request, target.workerId, target.assignmentId);
    // Not confirming costs nothing but a possible resend of this same assignment, which its worker drops.
    await this.fence
      .confirm(key)
      .catch((error: unknown) =>
        this.logger.warn({ err: error, ...key }, 'placement sent but not confirmed in the fence'),
      );
    return { kind: 'placed', ...sent };
  }

  private async send(
    request: TaskRequest,
    workerId: string,
    assignmentId: string,
  ): Promise<{ assignment: TaskAssignment; queuedEventError?: unknown }> {
    await this.ensureQueue(workerId);
    const now = new Date().toISOString();
    const assignment: TaskAssignment = { ...request, assignmentId, workerId, assignedAt: now };
    const queued: TaskEventInput = {
      v: 1,
      state: 'QUEUED',
      ...attemptIdentityOf(request),
      at: now,
      workerId,
      assignmentId,
    };
    const [sent, announced] = await Promise.allSettled([
      this.amqp.publishMessage('', this.topology.workerQueue(workerId), taskAssignmentSchema, assignment, {
        priority: request.priority,
        messageId: assignmentId,
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

/** The fence's key of a request: its attempt, and its round when the task runs in rounds. */
function placementKeyOf(request: TaskRequest): PlacementKey {
  return { ...attemptIdentityOf(request), round: request.continuation?.round ?? 1 };
}

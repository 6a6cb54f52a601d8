import { cancelTaskSchema, controlRoutingKey, taskRequestSchema } from '@wlm/commons/wire';
import type { AmqpConnection, WlmTopology } from '@wlm/commons/amqp';
import type { CancelTaskInput, TaskRequestInput } from '@wlm/commons/wire';

/** What the engine sends to the scheduler and the workers. */
export interface EngineMessaging {
  /** Resolves on the broker's confirm; many may be outstanding at once. */
  publishTaskRequest(request: TaskRequestInput): Promise<void>;
  /** A CANCEL_TASK on the control exchange; the scheduler and every worker receive it. */
  publishCancel(cancel: CancelTaskInput): Promise<void>;
}

/** {@link EngineMessaging} over the wlm topology: requests to the scheduler's queue by priority. */
export class AmqpMessaging implements EngineMessaging {
  constructor(
    private readonly amqp: AmqpConnection,
    private readonly topology: WlmTopology,
  ) {}

  publishTaskRequest(request: TaskRequestInput): Promise<void> {
    return this.amqp.publishMessage('', this.topology.queues.schedulerRequests, taskRequestSchema, request, {
      priority: request.priority,
      messageId: `${request.experimentId}/${request.taskId}/${request.attempt}`,
    });
  }

  publishCancel(cancel: CancelTaskInput): Promise<void> {
    return this.amqp.publishMessage(
      this.topology.exchanges.control,
      controlRoutingKey(cancel),
      cancelTaskSchema,
      cancel,
    );
  }
}

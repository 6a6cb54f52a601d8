import { controlMessageSchema } from '@wlm/commons/wire';
import type { AmqpConnection, ConsumerHandle } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { ControlMessage } from '@wlm/commons/wire';
import type { RecentCancels } from '@wlm/commons/control';
import type { RunningTasks } from './running-tasks';

export interface ControlListenerOptions {
  amqp: AmqpConnection;
  /** The worker's own control queue, bound to the control exchange. */
  queue: string;
  cancels: RecentCancels;
  running: RunningTasks;
  logger: Logger;
}

/**
 * Consumes the worker's control queue. A CANCEL_TASK aborts the matching runs through their
 * AbortSignal (each then ends with a CANCELLED event) and is remembered, so that assignments of the
 * task that arrive later are acked as cancelled without running. Invalid messages are dead-lettered
 * by the consumer.
 */
export class ControlListener {
  private handle: ConsumerHandle | undefined;

  constructor(private readonly options: ControlListenerOptions) {}

  async start(): Promise<void> {
    this.handle = await this.options.amqp.consume(
      this.options.queue,
      controlMessageSchema,
      (message) => this.onMessage(message),
      { prefetch: 16 },
    );
  }

  /** Stops consuming; idempotent. */
  async stop(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.cancel();
  }

  private onMessage(message: ControlMessage): void {
    switch (message.type) {
      case 'CANCEL_TASK': {
        this.options.cancels.remember(message);
        const stopped = this.options.running.cancelMatching(message);
        this.options.logger.info(
          {
            experimentId: message.experimentId,
            taskId: message.taskId,
            stopped: stopped.map((task) => task.assignment.assignmentId),
          },
          'cancel received',
        );
        return;
      }
    }
  }
}

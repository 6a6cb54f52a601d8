import type { Logger } from '@wlm/commons/logging';
import type { SchedulerMessages } from './scheduler-messages';

export interface TypeWaitsOptions {
  readonly messages: SchedulerMessages;
  /** Whether a live, reachable worker runs the type now. */
  readonly served: (taskType: string) => boolean;
  /** How long requests of a type may wait for a worker that runs it before the admin is told. */
  readonly alertAfterMs: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * The task types this instance has seen requests of while no live worker ran them. For each such
 * wait it arms one durable type-wait timer (through the broker's delay queues, so it outlives this
 * process), due `alertAfterMs` after the wait began; when it fires and the type is still unserved,
 * the admin is told. A wait ends when the type is served again; the next one arms a new timer.
 */
export class TypeWaits {
  /** Unserved type → when this instance first saw one of its requests wait. */
  private readonly since = new Map<string, number>();
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly options: TypeWaitsOptions) {
    this.log = options.logger.child({ module: 'type-waits' });
    this.now = options.now ?? Date.now;
  }

  /** Types waiting as this instance sees them, with how long, for status reports. */
  waiting(): Map<string, number> {
    const now = this.now();
    return new Map([...this.since].map(([taskType, since]) => [taskType, now - since]));
  }

  /**
   * A request of `taskType` waits with no worker that runs it. The first one of a wait arms its
   * timer; resolves once the broker has it (rejects when it did not, and the wait stays unarmed).
   */
  async note(taskType: string): Promise<void> {
    if (this.since.has(taskType)) return;
    const since = this.now();
    this.since.set(taskType, since);
    this.log.warn({ taskType }, 'requests wait for a worker that runs their task type');
    try {
      await this.options.messages.timer({
        v: 1,
        kind: 'type-wait',
        taskType,
        since: new Date(since).toISOString(),
        dueAt: new Date(since + this.options.alertAfterMs).toISOString(),
      });
    } catch (error) {
      // The next request of the type tries again.
      if (this.since.get(taskType) === since) this.since.delete(taskType);
      throw error;
    }
  }

  /** Ends the waits of the types served again. */
  refresh(): void {
    for (const taskType of [...this.since.keys()]) {
      if (!this.options.served(taskType)) continue;
      this.since.delete(taskType);
      this.log.info({ taskType }, 'a worker runs the task type again');
    }
  }
}

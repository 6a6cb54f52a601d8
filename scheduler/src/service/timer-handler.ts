import type { EventEmitter } from 'node:events';
import { schedulerTimerSchema } from '@wlm/commons/wire';
import type { AmqpConnection, ConsumerHandle, WlmTopology } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { SchedulerTimer } from '@wlm/commons/wire';
import { publishFailed } from '../errors';
import { requestKey } from '../registry';
import type { RequestDispatcher } from './request-dispatcher';
import type { SchedulerMessages } from './scheduler-messages';
import type { SchedulerServiceEvents } from './service-events';
import { isDue } from './timer-ladder';

export interface TimerHandlerOptions {
  readonly amqp: AmqpConnection;
  readonly topology: WlmTopology;
  readonly messages: SchedulerMessages;
  readonly dispatcher: RequestDispatcher;
  /** Whether a live, reachable worker runs the type now. */
  readonly served: (taskType: string) => boolean;
  /** This instance, named in reports. */
  readonly instanceId: string;
  readonly events: EventEmitter<SchedulerServiceEvents>;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Consumes the due scheduler timers (every instance competes for them). A timer not due yet goes
 * round the delay ladder again. A due queue timeout fails its attempt with TASK_UNSCHEDULABLE unless
 * this instance placed it; one placed by another instance is failed all the same, and the
 * orchestrator drops that failure because it has seen the attempt placed (its QUEUED event came
 * first). A due type wait reports the type for the admin mail if no live worker runs it yet.
 */
export class TimerHandler {
  private consumer: ConsumerHandle | undefined;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly options: TimerHandlerOptions) {
    this.log = options.logger.child({ module: 'timers' });
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.consumer = await this.options.amqp.consume(
      this.options.topology.queues.schedulerTimers,
      schedulerTimerSchema,
      (timer) => this.onTimer(timer),
      { prefetch: 50 },
    );
  }

  /** Stops consuming; resolves when running handlers are done. Idempotent. */
  async stop(): Promise<void> {
    await this.consumer?.cancel();
  }

  private async onTimer(timer: SchedulerTimer): Promise<void> {
    const now = this.now();
    try {
      if (!isDue(Date.parse(timer.dueAt), now)) {
        await this.options.messages.timer(timer, now);
        return;
      }
      if (timer.kind === 'queue-timeout') await this.queueTimeout(timer);
      else await this.typeWait(timer, now);
    } catch (error) {
      throw publishFailed(`the ${timer.kind} timer of ${timer.taskType}`, error);
    }
  }

  private async queueTimeout(timer: Extract<SchedulerTimer, { kind: 'queue-timeout' }>): Promise<void> {
    const key = requestKey({
      ...timer,
      continuation: timer.round === undefined ? undefined : { round: timer.round },
    });
    const outcome = await this.options.dispatcher.queueTimedOut(key);
    if (outcome !== 'unknown') return;
    const why = this.options.served(timer.taskType)
      ? `every worker that runs ${timer.taskType} stayed busy, or none meets its constraints`
      : `no live worker runs ${timer.taskType}`;
    await this.options.messages.unschedulable(timer, why);
    this.log.warn({ key, taskType: timer.taskType }, 'request not placed within its queue timeout');
    this.options.events.emit('task:unschedulable', timer);
  }

  private async typeWait(timer: Extract<SchedulerTimer, { kind: 'type-wait' }>, now: number): Promise<void> {
    if (this.options.served(timer.taskType)) return;
    await this.options.messages.typeWaiting({
      v: 1,
      taskType: timer.taskType,
      waitingSince: timer.since,
      detectedAt: new Date(now).toISOString(),
      reporter: this.options.instanceId,
    });
    this.log.warn({ taskType: timer.taskType, since: timer.since }, 'task type waited too long for a worker');
  }
}

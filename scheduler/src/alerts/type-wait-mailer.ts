import { taskTypeWaitingSchema } from '@wlm/commons/wire';
import type { AmqpConnection, ConsumerHandle, WlmTopology } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { TaskTypeWaiting } from '@wlm/commons/wire';
import type { AdminMailer } from './admin-mailer';
import type { AdminMail } from './incident-mail';
import { MailRateLimiter } from './mail-rate-limiter';

export interface TypeWaitMailerOptions {
  readonly amqp: AmqpConnection;
  readonly topology: WlmTopology;
  readonly mailer: AdminMailer;
  readonly logger: Logger;
  /** At most one mail per task type in this time, however many reports. Default 1 hour. */
  readonly perTypeCooldownMs?: number;
  /** Called after each mail is sent (for tests and metrics). */
  readonly onMailed?: (mail: { taskType: string; subject: string }) => void;
}

/** How long a report whose mail could not be sent waits before its redelivery. */
const MAIL_RETRY_DELAY_MS = 5_000;

/** The mail about a task type no live worker of the installation `namespace` runs. */
export function typeWaitMail(report: TaskTypeWaiting, namespace: string): AdminMail {
  const { taskType } = report;
  return {
    // One wait of one type: a repeat after a crash carries the same Message-ID.
    id: `wlm.type-waiting.${namespace}.${taskType}.${Date.parse(report.waitingSince)}`,
    subject: `[wlm] no worker runs task type ${taskType} (namespace ${namespace})`,
    text: [
      `Tasks of type ${taskType} have been waiting since ${report.waitingSince} and no live worker runs that type.`,
      '',
      `Noticed at ${report.detectedAt} by scheduler ${report.reporter}.`,
      '',
      `The tasks wait in the broker (queue ${namespace}.requests.${taskType}) and are placed as soon as`,
      `a worker that runs ${taskType} joins. Start one (wlm worker --tasks ${taskType}), fix the task type of the DAG, or`,
      'cancel the experiments. Tasks with a queueTimeoutMs fail with TASK_UNSCHEDULABLE when it runs out.',
    ].join('\n'),
  };
}

/**
 * The single active consumer of the type-alerts queue (`x-single-active-consumer`): every scheduler
 * instance reports a task type that waited too long, and this one mails the admin once per type
 * per cooldown. A report is acknowledged only after its mail was sent (or deliberately not).
 */
export class TypeWaitMailer {
  private readonly limiter: MailRateLimiter;
  private consumer: ConsumerHandle | undefined;
  private readonly log: Logger;

  constructor(private readonly options: TypeWaitMailerOptions) {
    this.limiter = new MailRateLimiter({ perWorkerCooldownMs: options.perTypeCooldownMs ?? 60 * 60_000 });
    this.log = options.logger.child({ module: 'type-wait-mailer' });
  }

  async start(): Promise<void> {
    this.consumer = await this.options.amqp.consume(
      this.options.topology.queues.schedulerTypeAlerts,
      taskTypeWaitingSchema,
      (report) => this.onReport(report),
      // One at a time, so two reports of one type cannot both pass the cooldown.
      { prefetch: 1, retryDelayMs: MAIL_RETRY_DELAY_MS },
    );
  }

  /** Stops consuming. Idempotent. */
  async stop(): Promise<void> {
    await this.consumer?.cancel();
  }

  private async onReport(report: TaskTypeWaiting): Promise<void> {
    const now = Date.now();
    const key = `type:${report.taskType}`;
    if (!this.limiter.failure(key, now).allowed) {
      this.log.info(
        { taskType: report.taskType, reporter: report.reporter },
        'task type wait already mailed',
      );
      return;
    }
    const mail = typeWaitMail(report, this.options.topology.namespace);
    try {
      await this.options.mailer.send(mail);
    } catch (error) {
      this.limiter.refund(key, now);
      throw error;
    }
    this.options.onMailed?.({ taskType: report.taskType, subject: mail.subject });
  }
}

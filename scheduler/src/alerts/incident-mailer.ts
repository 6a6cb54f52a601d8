import { setTimeout as sleep } from 'node:timers/promises';
import { workerIncidentSchema } from '@wlm/commons/wire';
import type { AmqpConnection, ConsumerHandle, WlmTopology } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { WorkerIncident } from '@wlm/commons/wire';
import type { AdminMailer } from './admin-mailer';
import { IncidentBook } from './incident-book';
import { failureMail, recoveryMail } from './incident-mail';
import { MailRateLimiter } from './mail-rate-limiter';
import type { MailRateLimiterOptions } from './mail-rate-limiter';

export interface IncidentMailerOptions {
  readonly amqp: AmqpConnection;
  readonly topology: WlmTopology;
  readonly mailer: AdminMailer;
  readonly logger: Logger;
  /**
   * How long reports of a new failure are collected before the one mail goes out: long enough for
   * every scheduler instance's Serf agent to notice (they differ by ~2 s, as measured) and for tasks
   * drained meanwhile to be listed. Default 3,000 ms.
   */
  readonly collectMs?: number;
  readonly rateLimit?: MailRateLimiterOptions;
  /** Called after each mail is sent (for tests and metrics). */
  readonly onMailed?: (mail: { workerId: string; kind: 'failure' | 'recovery'; subject: string }) => void;
}

/** How long a report whose mail could not be sent waits before its redelivery. */
const MAIL_RETRY_DELAY_MS = 5_000;

/**
 * The single active consumer of the alerts queue (`x-single-active-consumer`): every scheduler
 * instance subscribes, the broker delivers to one at a time, and that one turns the reports of an
 * incident into exactly one admin mail — however many instances reported it — rate-limited per
 * worker and overall. A report is acknowledged only after its mail was sent (or deliberately not),
 * so when the active instance dies its unsent reports go to the next one.
 *
 * What this instance remembers of past incidents is lost with it; the next active consumer may send
 * a recovery mail for a failure it never saw, which errs on the side of telling the admin.
 */
export class IncidentMailer {
  private readonly book = new IncidentBook();
  private readonly limiter: MailRateLimiter;
  /** The mail being prepared or sent for a worker; reports that must wait for it wait on this. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly stopSignal = new AbortController();
  private consumer: ConsumerHandle | undefined;
  private readonly log: Logger;

  constructor(private readonly options: IncidentMailerOptions) {
    this.limiter = new MailRateLimiter(options.rateLimit);
    this.log = options.logger.child({ module: 'incident-mailer' });
  }

  async start(): Promise<void> {
    this.consumer = await this.options.amqp.consume(
      this.options.topology.queues.schedulerAlerts,
      workerIncidentSchema,
      (report) => this.onReport(report),
      // Every report of an incident must be in hand at once to go into one mail.
      { prefetch: 200, retryDelayMs: MAIL_RETRY_DELAY_MS },
    );
  }

  /** Stops consuming; a collection in progress is cut short and mailed now. Idempotent. */
  async stop(): Promise<void> {
    this.stopSignal.abort();
    await this.consumer?.cancel();
  }

  private async onReport(report: WorkerIncident): Promise<void> {
    for (;;) {
      const decision = this.book.decide(report);
      const { workerId } = report;
      switch (decision.action) {
        case 'open': {
          const mailing = this.collectAndMail(workerId);
          this.pending.set(workerId, mailing);
          await mailing;
          return;
        }
        case 'join':
          await this.pending.get(workerId);
          return;
        case 'wait':
          await this.pending.get(workerId)?.catch(() => undefined);
          continue;
        case 'late':
          this.log.info(
            { workerId, reporter: report.reporter, tasks: report.affectedTasks.length },
            'another report of a failure already dealt with',
          );
          return;
        case 'stale':
          this.log.debug({ workerId, type: report.type }, 'stale incident report ignored');
          return;
        case 'recover': {
          const mailing = this.mailRecovery(report, decision.failureMailed);
          this.pending.set(workerId, mailing);
          await mailing;
          return;
        }
      }
    }
  }

  private async collectAndMail(workerId: string): Promise<void> {
    try {
      await sleep(this.options.collectMs ?? 3_000, undefined, { signal: this.stopSignal.signal }).catch(
        () => undefined,
      );
      const reports = this.book.closeWindow(workerId);
      const now = Date.now();
      const verdict = this.limiter.failure(workerId, now);
      if (!verdict.allowed) {
        this.book.failureSettled(workerId, false);
        this.log.warn({ workerId }, 'worker failure not mailed: rate limit');
        return;
      }
      const mail = failureMail(reports, verdict.suppressedBefore);
      try {
        await this.options.mailer.send(mail);
      } catch (error) {
        this.limiter.refund(workerId, now);
        this.book.failureAbandoned(workerId);
        this.log.error({ err: error, workerId }, 'admin mail not sent; the reports will be retried');
        throw error;
      }
      this.book.failureSettled(workerId, true);
      this.options.onMailed?.({ workerId, kind: 'failure', subject: mail.subject });
    } finally {
      this.pending.delete(workerId);
    }
  }

  private async mailRecovery(report: WorkerIncident, failureMailed: boolean | undefined): Promise<void> {
    const { workerId } = report;
    try {
      const failedAt = this.book.failedAt(workerId);
      // No mail for the failure (rate limit): no news in its recovery either.
      const now = Date.now();
      if (failureMailed === false || !this.limiter.recovery(now)) {
        this.book.recoverySettled(workerId);
        this.log.info({ workerId, failureMailed }, 'worker recovery not mailed');
        return;
      }
      const mail = recoveryMail(report, failedAt);
      try {
        await this.options.mailer.send(mail);
      } catch (error) {
        this.limiter.refund(undefined, now);
        this.book.recoveryAbandoned(workerId);
        throw error;
      }
      this.book.recoverySettled(workerId);
      this.options.onMailed?.({ workerId, kind: 'recovery', subject: mail.subject });
    } finally {
      this.pending.delete(workerId);
    }
  }
}

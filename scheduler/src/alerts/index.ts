/**
 * Admin mail about worker incidents: each scheduler instance reports what it saw to the alerts
 * queue; its single active consumer merges the reports of an incident and mails once.
 *
 * @example
 * ```ts
 * const mailer = new IncidentMailer({ amqp, topology, mailer: new AdminMailer(config.smtp, logger), logger });
 * await mailer.start();
 * await new IncidentReporter(amqp, topology, 'scheduler-1').report({
 *   type: 'WORKER_FAILED', workerId: 'w1', address: '10.0.0.7:7946', source: 'serf', detectedAt: new Date(),
 * });
 * ```
 */
export { AdminMailer } from './admin-mailer';
export { IncidentBook } from './incident-book';
export type { IncidentBookOptions, IncidentDecision } from './incident-book';
export { failureMail, recoveryMail } from './incident-mail';
export type { AdminMail } from './incident-mail';
export { IncidentMailer } from './incident-mailer';
export type { IncidentMailerOptions } from './incident-mailer';
export { IncidentReporter } from './incident-reporter';
export type { IncidentReport } from './incident-reporter';
export { MailRateLimiter } from './mail-rate-limiter';
export type { FailureVerdict, MailRateLimiterOptions } from './mail-rate-limiter';
export { TypeWaitMailer, typeWaitMail } from './type-wait-mailer';
export type { TypeWaitMailerOptions } from './type-wait-mailer';

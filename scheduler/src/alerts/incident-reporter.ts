import { MAX_INCIDENT_TASKS, workerIncidentSchema } from '@wlm/commons/wire';
import type { AmqpConnection, WlmTopology } from '@wlm/commons/amqp';
import type { IncidentTask, WorkerIncident } from '@wlm/commons/wire';

export interface IncidentReport {
  readonly type: WorkerIncident['type'];
  readonly workerId: string;
  readonly address: string;
  readonly source: WorkerIncident['source'];
  readonly detectedAt: Date;
  readonly tasks?: readonly IncidentTask[];
  /** Tasks affected in all, when more than `tasks` lists. */
  readonly taskCount?: number;
}

/**
 * Reports worker incidents to the alerts queue. Every scheduler instance reports what it saw; the
 * queue's single active consumer ({@link IncidentMailer}) turns the reports of one incident into one mail.
 */
export class IncidentReporter {
  constructor(
    private readonly amqp: AmqpConnection,
    private readonly topology: WlmTopology,
    /** This scheduler instance, named in the mail. */
    private readonly reporter: string,
  ) {}

  /** Resolves when the broker confirmed the report. */
  report(report: IncidentReport): Promise<void> {
    const tasks = report.tasks ?? [];
    const incident: WorkerIncident = {
      v: 1,
      type: report.type,
      workerId: report.workerId,
      address: report.address,
      detectedAt: report.detectedAt.toISOString(),
      source: report.source,
      reporter: this.reporter,
      affectedTasks: tasks.slice(0, MAX_INCIDENT_TASKS),
      ...(report.taskCount !== undefined && report.taskCount > tasks.length
        ? { affectedTaskCount: report.taskCount }
        : {}),
    };
    return this.amqp.publishMessage('', this.topology.queues.schedulerAlerts, workerIncidentSchema, incident);
  }
}

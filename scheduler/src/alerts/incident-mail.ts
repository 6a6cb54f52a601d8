import type { IncidentTask, WorkerIncident } from '@wlm/commons/wire';

/** An admin mail, before addressing. */
export interface AdminMail {
  readonly subject: string;
  readonly text: string;
  /**
   * Names the incident, the same however often the mail is sent: the local part of its Message-ID.
   * The alert consumer sends at least once (a crash between sending and acknowledging the reports
   * sends the mail again from the next consumer); a repeat carries the same Message-ID, so a mail
   * client shows it as the same message (or threads it with the first).
   */
  readonly id: string;
  /** The {@link id} of the mail this one follows up: a recovery answers its failure. */
  readonly inReplyTo?: string;
}

/** The id of the failure mail of the incident that began at `failedAt`. */
function failureId(workerId: string, failedAt: Date): string {
  return `wlm.worker-failed.${workerId}.${failedAt.getTime()}`;
}

const SOURCE_TEXT: Readonly<Record<WorkerIncident['source'], string>> = {
  serf: 'Serf membership (member failed)',
  broker: 'RabbitMQ (its queue lost its consumer)',
  startup: 'Serf membership, found failed when a scheduler started',
};

function describeTask(task: IncidentTask): string {
  return `  - experiment ${task.experimentId}, task ${task.taskId} (${task.taskType}), attempt ${task.attempt} -> rerun as attempt ${task.attempt + 1}`;
}

/**
 * The mail for one worker failure, merged from every scheduler's report of it: worker, address,
 * when and how it was noticed, and the tasks moved off it.
 */
export function failureMail(reports: readonly WorkerIncident[], suppressedBefore = 0): AdminMail {
  const first = reports[0];
  if (first === undefined) throw new RangeError('a failure mail needs at least one report');
  // The earliest report names the incident, whichever order a consumer got the reports in.
  const failedAt = new Date(Math.min(...reports.map((report) => Date.parse(report.detectedAt))));
  const tasks = new Map<string, IncidentTask>();
  let unlisted = 0;
  for (const report of reports) {
    for (const task of report.affectedTasks)
      tasks.set(`${task.experimentId}/${task.taskId}/${task.attempt}`, task);
    unlisted += Math.max(
      0,
      (report.affectedTaskCount ?? report.affectedTasks.length) - report.affectedTasks.length,
    );
  }
  const sources = [...new Set(reports.map((report) => SOURCE_TEXT[report.source]))];
  const reporters = [...new Set(reports.map((report) => report.reporter))];
  const lines = [
    `Worker ${first.workerId} failed.`,
    '',
    `Worker:      ${first.workerId}`,
    `Address:     ${first.address || 'unknown'}`,
    `Detected at: ${first.detectedAt}`,
    `Detected by: ${sources.join('; ')}`,
    `Reported by: ${reporters.join(', ')}`,
    '',
  ];
  if (tasks.size === 0 && unlisted === 0) {
    lines.push('Affected tasks: none were queued or running on it.');
  } else {
    lines.push(`Affected tasks (${tasks.size + unlisted}), moved to other workers:`);
    lines.push(...[...tasks.values()].map(describeTask));
    if (unlisted > 0) lines.push(`  … and ${unlisted} more`);
  }
  if (suppressedBefore > 0) {
    lines.push('', `${suppressedBefore} earlier failure(s) of this worker were not mailed (rate limit).`);
  }
  lines.push('', 'You get another mail when the worker is back.');
  return {
    subject: `[wlm] worker ${first.workerId} failed`,
    text: `${lines.join('\n')}\n`,
    id: failureId(first.workerId, failedAt),
  };
}

/** The mail saying a worker is back, with how long it was gone when that is known. */
export function recoveryMail(report: WorkerIncident, failedAt: Date | undefined): AdminMail {
  const lines = [
    `Worker ${report.workerId} is alive again.`,
    '',
    `Worker:      ${report.workerId}`,
    `Address:     ${report.address || 'unknown'}`,
    `Back at:     ${report.detectedAt}`,
  ];
  if (failedAt !== undefined) {
    const seconds = Math.max(0, Math.round((Date.parse(report.detectedAt) - failedAt.getTime()) / 1000));
    lines.push(`Failed at:   ${failedAt.toISOString()} (down ${seconds} s)`);
  }
  const text = `${lines.join('\n')}\n`;
  const subject = `[wlm] worker ${report.workerId} recovered`;
  // Keyed by the failure it ends when known; a consumer that never saw the failure can only use the report.
  if (failedAt === undefined) {
    return { subject, text, id: `wlm.worker-recovered.${report.workerId}.${Date.parse(report.detectedAt)}` };
  }
  return {
    subject,
    text,
    id: `wlm.worker-recovered.${report.workerId}.${failedAt.getTime()}`,
    inReplyTo: failureId(report.workerId, failedAt),
  };
}

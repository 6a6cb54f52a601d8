import type { IncidentTask, WorkerIncident } from '@wlm/commons';

/** An admin mail, before addressing. */
export interface AdminMail {
  readonly subject: string;
  readonly text: string;
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
  return { subject: `[wlm] worker ${first.workerId} failed`, text: `${lines.join('\n')}\n` };
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
  return { subject: `[wlm] worker ${report.workerId} recovered`, text: `${lines.join('\n')}\n` };
}

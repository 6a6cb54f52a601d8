import type { WorkerIncident } from '@wlm/commons/wire';

/**
 * What to do with one incident report:
 * - `open`: the first report of a new failure — collect reports for a while, then mail once;
 * - `join`: another report of the failure being collected (another scheduler instance, or tasks
 *   drained later) — it goes into the same mail;
 * - `wait`: a mail for this worker is being sent; decide again once it is;
 * - `late`: the failure was mailed (or suppressed) already — nothing to send;
 * - `recover`: the worker is back — send the recovery mail; `failureMailed` says whether the
 *   failure was mailed (`undefined`: this instance never heard of the failure, e.g. after a restart);
 * - `stale`: older than what is known (a report delayed past a later change).
 */
export type IncidentDecision =
  | { readonly action: 'open' | 'join' | 'wait' | 'late' | 'stale' }
  | { readonly action: 'recover'; readonly failureMailed: boolean | undefined };

type Phase = 'collecting' | 'mailing' | 'open' | 'recovering' | 'closed';

interface Incident {
  phase: Phase;
  /** When the failure was first detected (ms). */
  failedAt: number;
  reports: WorkerIncident[];
  /** Whether the failure mail went out (false: suppressed by the rate limit). */
  failureMailed: boolean | undefined;
  /** When the worker was seen back (ms), for `closed`. */
  recoveredAt: number;
  /** The state to return to if a recovery mail cannot be sent. */
  beforeRecovery: Omit<Incident, 'beforeRecovery'> | undefined;
}

export interface IncidentBookOptions {
  /** Workers remembered at most; those unchanged the longest are forgotten first. Default 10,000. */
  readonly maxWorkers?: number;
}

/**
 * The incidents of every worker as the (single active) alert consumer knows them: one per failure,
 * from the first report until the worker is back. Several scheduler instances report the same
 * failure; the book is what turns their reports into one mail. Pure: times come from the reports.
 */
export class IncidentBook {
  private readonly incidents = new Map<string, Incident>();
  private readonly maxWorkers: number;

  constructor(options: IncidentBookOptions = {}) {
    this.maxWorkers = options.maxWorkers ?? 10_000;
  }

  decide(report: WorkerIncident): IncidentDecision {
    const at = Date.parse(report.detectedAt);
    const incident = this.incidents.get(report.workerId);
    if (incident?.phase === 'mailing' || incident?.phase === 'recovering') return { action: 'wait' };
    if (report.type === 'WORKER_FAILED') {
      if (incident === undefined || (incident.phase === 'closed' && at > incident.recoveredAt)) {
        this.set(report.workerId, {
          phase: 'collecting',
          failedAt: at,
          reports: [report],
          failureMailed: undefined,
          recoveredAt: 0,
          beforeRecovery: undefined,
        });
        return { action: 'open' };
      }
      if (incident.phase === 'collecting') {
        incident.reports.push(report);
        incident.failedAt = Math.min(incident.failedAt, at);
        return { action: 'join' };
      }
      return { action: incident.phase === 'open' ? 'late' : 'stale' };
    }
    if (incident?.phase === 'collecting') return { action: 'wait' };
    if (incident === undefined || (incident.phase === 'open' && at >= incident.failedAt)) {
      const before = incident === undefined ? undefined : { ...incident, reports: [...incident.reports] };
      this.set(report.workerId, {
        phase: 'recovering',
        failedAt: incident?.failedAt ?? at,
        reports: incident?.reports ?? [],
        failureMailed: incident?.failureMailed,
        recoveredAt: at,
        beforeRecovery: before,
      });
      return { action: 'recover', failureMailed: incident?.failureMailed };
    }
    return { action: 'stale' };
  }

  /** Ends the collection of a failure: the reports to mail, earliest first. */
  closeWindow(workerId: string): WorkerIncident[] {
    const incident = this.incidents.get(workerId);
    if (incident?.phase !== 'collecting') return [];
    incident.phase = 'mailing';
    return [...incident.reports].sort((a, b) => Date.parse(a.detectedAt) - Date.parse(b.detectedAt));
  }

  /** The failure mail was sent (`true`) or suppressed by the rate limit (`false`). */
  failureSettled(workerId: string, mailed: boolean): void {
    const incident = this.incidents.get(workerId);
    if (incident?.phase !== 'mailing') return;
    incident.phase = 'open';
    incident.failureMailed = mailed;
  }

  /** The failure mail could not be sent: forget the incident, so the redelivered reports open it again. */
  failureAbandoned(workerId: string): void {
    if (this.incidents.get(workerId)?.phase === 'mailing') this.incidents.delete(workerId);
  }

  /** The recovery was dealt with (mailed, or not worth a mail). */
  recoverySettled(workerId: string): void {
    const incident = this.incidents.get(workerId);
    if (incident?.phase !== 'recovering') return;
    incident.phase = 'closed';
    incident.beforeRecovery = undefined;
  }

  /** The recovery mail could not be sent: back to where it was, so the redelivered report tries again. */
  recoveryAbandoned(workerId: string): void {
    const incident = this.incidents.get(workerId);
    if (incident?.phase !== 'recovering') return;
    if (incident.beforeRecovery === undefined) this.incidents.delete(workerId);
    else this.incidents.set(workerId, { ...incident.beforeRecovery, beforeRecovery: undefined });
  }

  /** When the current failure of a worker (being collected, mailed, open or recovering) was first detected. */
  failedAt(workerId: string): Date | undefined {
    const incident = this.incidents.get(workerId);
    if (incident === undefined || incident.phase === 'closed') return undefined;
    // A recovery of a failure this book never saw has no failure time.
    if (incident.phase === 'recovering' && incident.beforeRecovery === undefined) return undefined;
    return new Date(incident.failedAt);
  }

  private set(workerId: string, incident: Incident): void {
    // Re-inserting keeps the map ordered by last change, so pruning starts with the longest unchanged.
    this.incidents.delete(workerId);
    this.incidents.set(workerId, incident);
    for (const id of this.incidents.keys()) {
      if (this.incidents.size <= this.maxWorkers) break;
      this.incidents.delete(id);
    }
  }
}

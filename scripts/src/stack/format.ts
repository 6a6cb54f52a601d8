import { table } from '../format/text-table';
import type { StoredMail } from './mail-store';
import type { ComponentStatus, ProgressEvent } from './types';

/**
 * `stack status` as text: one line per component, `name state address version owner`, where owner is
 * the PID when `stack up` started it and `external` when something else runs it.
 */
export function formatStatus(statuses: readonly ComponentStatus[]): string[] {
  return table(
    statuses.map((s) => [
      s.name,
      s.state,
      s.address,
      s.version ?? '-',
      s.pid !== null ? `pid ${s.pid}` : s.state === 'up' ? 'external' : '',
    ]),
  );
}

/** `stack mails` as text: time, sender → recipients, subject; oldest first. */
export function formatMails(mails: readonly StoredMail[]): string[] {
  return table(
    mails.map((mail) => [
      mail.receivedAt.replace(/\.\d{3}Z$/, 'Z'),
      `${mail.from || '<>'} -> ${mail.to.join(', ')}`,
      mail.subject === '' ? '(no subject)' : mail.subject,
    ]),
  );
}

/** A progress line: `neo4j     waiting for 127.0.0.1:7687 (12 s)`. */
export function formatProgress(event: ProgressEvent): string {
  const elapsed = event.elapsedMs === undefined ? '' : ` (${Math.round(event.elapsedMs / 1000)} s)`;
  return `${event.component.padEnd(8)}  ${event.message}${elapsed}`;
}

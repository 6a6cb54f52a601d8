import type { AuditEvent } from '../../domain/records';
import type { AuditEventInput } from '../../domain/state-store';
import { AUDIT_EVENT_COLUMNS, toAuditEvent } from './mappers';
import { ROWS_PER_STATEMENT, changeRows, selectRows } from './sql';
import type { Queryable, SqlValue } from './sql';

const ROW_SQL = '(?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, NOW(3)))';

function rowValues(event: AuditEventInput): SqlValue[] {
  return [
    event.experimentId,
    event.taskId ?? null,
    event.type,
    event.fromState ?? null,
    event.toState ?? null,
    event.actor,
    event.reason ?? null,
    event.details === undefined ? null : JSON.stringify(event.details),
    event.dedupeKey ?? null,
    event.at ?? null,
  ];
}

/**
 * Appends audit events. An event whose dedupe key is already stored is dropped (`id = id` is the
 * no-op update; INSERT IGNORE would also swallow real errors such as a value too long).
 */
export async function insertAuditEvents(db: Queryable, events: readonly AuditEventInput[]): Promise<void> {
  for (let start = 0; start < events.length; start += ROWS_PER_STATEMENT) {
    const chunk = events.slice(start, start + ROWS_PER_STATEMENT);
    await changeRows(
      db,
      `INSERT INTO audit_events (experiment_id, task_id, type, from_state, to_state, actor, reason, details,
         dedupe_key, at)
       VALUES ${chunk.map(() => ROW_SQL).join(', ')}
       ON DUPLICATE KEY UPDATE id = id`,
      chunk.flatMap(rowValues),
    );
  }
}

/** Each task's latest `task.waiting` entry of one experiment, whichever run it was written in. */
export async function selectLatestWaits(db: Queryable, experimentId: string): Promise<AuditEvent[]> {
  const rows = await selectRows(
    db,
    `SELECT ${AUDIT_EVENT_COLUMNS} FROM audit_events WHERE id IN (
       SELECT MAX(id) FROM audit_events WHERE experiment_id = ? AND type = 'task.waiting' GROUP BY task_id)`,
    [experimentId],
  );
  return rows.map(toAuditEvent);
}

/** One page of an experiment's trail in insertion order, via the (experiment_id, id) index. */
export async function selectAuditEvents(
  db: Queryable,
  experimentId: string,
  afterId: number,
  limit: number,
): Promise<AuditEvent[]> {
  const rows = await selectRows(
    db,
    `SELECT ${AUDIT_EVENT_COLUMNS} FROM audit_events WHERE experiment_id = ? AND id > ? ORDER BY id LIMIT ?`,
    [experimentId, afterId, limit],
  );
  return rows.map(toAuditEvent);
}

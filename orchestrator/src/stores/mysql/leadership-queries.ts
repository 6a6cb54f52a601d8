import type { LeaderRecord } from '../../domain/records';
import { StoreDataError } from '../../errors/store-data-error';
import { RowReader } from './row-reader';
import { selectRows } from './sql';
import type { Queryable } from './sql';

/**
 * Records a won election and returns its term. Runs on the winner's lock connection, right after
 * GET_LOCK succeeded, so `CONNECTION_ID()` is the lock's owner and terms can only be issued by holders.
 * Each statement fails after `timeoutMs`; the caller then drops the connection.
 */
export async function recordElection(
  db: Queryable,
  name: string,
  holder: string,
  timeoutMs: number,
): Promise<number> {
  await db.query(
    {
      sql: `INSERT INTO leadership (name, term, holder, connection_id, elected_at)
     VALUES (?, 1, ?, CONNECTION_ID(), NOW(3))
     ON DUPLICATE KEY UPDATE term = term + 1, holder = VALUES(holder),
       connection_id = VALUES(connection_id), elected_at = VALUES(elected_at)`,
      timeout: timeoutMs,
    },
    [name, holder],
  );
  const rows = await selectRows(db, 'SELECT term FROM leadership WHERE name = ?', [name], { timeoutMs });
  const row = rows[0];
  if (row === undefined)
    throw new StoreDataError('leadership', 'term', `row ${name} vanished after it was written`);
  return new RowReader('leadership', row).integer('term');
}

/** The last recorded winner, and whether its connection still holds the lock. */
export async function selectLeader(
  db: Queryable,
  name: string,
  lockName: string,
): Promise<LeaderRecord | undefined> {
  const rows = await selectRows(
    db,
    `SELECT name, term, holder, elected_at, COALESCE(IS_USED_LOCK(?) = connection_id, 0) AS alive
       FROM leadership WHERE name = ?`,
    [lockName, name],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const r = new RowReader('leadership', row);
  return {
    name: r.string('name'),
    term: r.integer('term'),
    holder: r.string('holder'),
    electedAt: r.date('elected_at'),
    alive: r.flag('alive'),
  };
}

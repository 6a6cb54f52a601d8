import { RECENT_INCIDENTS, workerEntrySchema, workerIncidentEntrySchema } from '@wlm/commons/api';
import type { WorkerEntry, WorkerIncidentEntry } from '@wlm/commons/api';
import type { z } from 'zod';
import { StoreDataError } from '../../errors/store-data-error';
import { RowReader } from './row-reader';
import { selectRows } from './sql';
import type { Queryable, Row } from './sql';

/*
 * The worker directory is written by the scheduler (scheduler/src/registry/worker-directory.ts owns
 * these tables and creates them); the orchestrator only reads it. Before any scheduler has run
 * against this database the tables do not exist, which reads as an empty directory.
 */

/** The scheduler has not created its directory in this database yet. */
export function isMissingTable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ER_NO_SUCH_TABLE';
}

async function readOrEmpty(db: Queryable, sql: string, values: (string | number)[]): Promise<Row[]> {
  try {
    return await selectRows(db, sql, values);
  } catch (error) {
    if (isMissingTable(error)) return [];
    throw error;
  }
}

function parsed<T>(table: string, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new StoreDataError(table, '*', result.error.message);
  return result.data;
}

function toWorkerEntry(row: Row): WorkerEntry {
  const read = new RowReader('worker_directory', row);
  return parsed('worker_directory', workerEntrySchema, {
    workerId: read.string('worker_id'),
    address: read.string('address'),
    state: read.string('state'),
    reachable: read.flag('reachable'),
    taskTypes: read.jsonObject('task_types'),
    labels: read.jsonObject('labels'),
    slots: read.integer('slots'),
    slotsInUse: read.integer('slots_in_use'),
    failedAt: read.dateOrNull('failed_at')?.toISOString() ?? null,
    updatedAt: read.date('updated_at').toISOString(),
    reportedBy: read.string('reported_by'),
  });
}

function toIncident(row: Row): WorkerIncidentEntry {
  const read = new RowReader('worker_incidents', row);
  return parsed('worker_incidents', workerIncidentEntrySchema, {
    workerId: read.string('worker_id'),
    kind: read.string('kind'),
    source: read.string('source'),
    at: read.date('at').toISOString(),
    reportedBy: read.string('reported_by'),
  });
}

/** Every worker of the namespace, failed ones first, then by id. */
export async function selectWorkers(db: Queryable, namespace: string): Promise<WorkerEntry[]> {
  const rows = await readOrEmpty(
    db,
    `SELECT worker_id, address, state, reachable, task_types, labels, slots, slots_in_use, failed_at,
            updated_at, reported_by
       FROM worker_directory WHERE namespace = ?
       ORDER BY state = 'failed' DESC, state = 'alive' DESC, worker_id`,
    [namespace],
  );
  return rows.map(toWorkerEntry);
}

/** The latest membership changes of the namespace, newest first. */
export async function selectIncidents(db: Queryable, namespace: string): Promise<WorkerIncidentEntry[]> {
  const rows = await readOrEmpty(
    db,
    `SELECT worker_id, kind, source, at, reported_by FROM worker_incidents
       WHERE namespace = ? ORDER BY at DESC, id DESC LIMIT ?`,
    [namespace, RECENT_INCIDENTS],
  );
  return rows.map(toIncident);
}

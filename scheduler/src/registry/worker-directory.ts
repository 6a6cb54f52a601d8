import type { Logger } from '@wlm/commons/logging';
import type { Pool } from 'mysql2/promise';
import { openFencePool } from '../fence/fence-pool';
import type { WorkerRegistry } from './worker-registry';
import type { WorkerView } from './worker-view';

export interface WorkerDirectoryOptions {
  /** The wlm config's `mysql.url`: the orchestrator reads the directory from the same database. */
  readonly url: string;
  /** The AMQP namespace: installations sharing a database keep apart. */
  readonly namespace: string;
  /** This scheduler instance, recorded beside what it wrote. */
  readonly reporter: string;
  readonly logger: Logger;
  /** How often the whole directory is written again (free slots change without an event). Default 2,000 ms. */
  readonly refreshMs?: number;
  readonly queryTimeoutMs?: number;
}

/*
 * The tables this module owns. The orchestrator reads them (orchestrator/src/stores/mysql/
 * worker-directory-queries.ts) for `GET /api/workers`; any change here must be mirrored there.
 */
const CREATE_DIRECTORY = `CREATE TABLE IF NOT EXISTS worker_directory (
  namespace VARCHAR(64) NOT NULL,
  worker_id VARCHAR(100) NOT NULL,
  address VARCHAR(300) NOT NULL,
  state VARCHAR(16) NOT NULL,
  reachable BOOLEAN NOT NULL,
  task_types JSON NOT NULL,
  labels JSON NOT NULL,
  slots INT UNSIGNED NOT NULL,
  slots_in_use INT UNSIGNED NOT NULL,
  failed_at DATETIME(3) NULL,
  updated_at DATETIME(3) NOT NULL,
  reported_by VARCHAR(128) NOT NULL,
  PRIMARY KEY (namespace, worker_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

const CREATE_INCIDENTS = `CREATE TABLE IF NOT EXISTS worker_incidents (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  namespace VARCHAR(64) NOT NULL,
  worker_id VARCHAR(100) NOT NULL,
  kind VARCHAR(16) NOT NULL,
  source VARCHAR(32) NOT NULL,
  at DATETIME(3) NOT NULL,
  reported_by VARCHAR(128) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_worker_incidents_namespace_at (namespace, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

/** Incidents kept per namespace; older ones are deleted as new ones come. */
const KEPT_INCIDENTS = 1_000;
/** Coalesces a burst of membership events into one write. */
const FLUSH_DELAY_MS = 200;

type IncidentKind = 'joined' | 'failed' | 'recovered' | 'left' | 'unreachable' | 'reachable';

interface Incident {
  workerId: string;
  kind: IncidentKind;
  source: string;
  at: Date;
}

/**
 * The scheduler's view of the workers, written to MySQL for the orchestrator's `GET /api/workers`:
 * one row per worker (its state as the registry has it — Serf's membership corrected by the broker's
 * view of its queue — advertised task types, labels, slots and slots in use as placement counts
 * them), and a list of incidents (joins, failures, recoveries, departures). Written shortly after
 * every membership event and every `refreshMs`, so the rows follow the free slots too.
 *
 * The database, not a message, carries it because every orchestrator instance serves the API and
 * already reads MySQL: a row written once is there for all of them, survives their restarts, and
 * needs no queue per instance. Several schedulers write the same rows from the same Serf membership;
 * `reported_by` says which one wrote last.
 */
export class WorkerDirectory {
  private readonly incidents: Incident[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** The write in progress; a flush asked for meanwhile waits for it rather than piling up behind it. */
  private flushing: Promise<void> | undefined;
  private readonly timeoutMs: number;
  private registry: WorkerRegistry | undefined;
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly options: WorkerDirectoryOptions,
  ) {
    this.timeoutMs = options.queryTimeoutMs ?? 5_000;
  }

  static async open(options: WorkerDirectoryOptions): Promise<WorkerDirectory> {
    const timeoutMs = options.queryTimeoutMs ?? 5_000;
    const pool = await openFencePool(options.url, timeoutMs);
    try {
      await pool.query({ sql: CREATE_DIRECTORY, timeout: timeoutMs });
      await pool.query({ sql: CREATE_INCIDENTS, timeout: timeoutMs });
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new WorkerDirectory(pool, options);
  }

  /** Follows `registry` from now on; call before `registry.start()` so the first read is written. */
  follow(registry: WorkerRegistry): void {
    this.registry = registry;
    const note =
      (kind: IncidentKind, source = '') =>
      (worker: WorkerView) => {
        this.incidents.push({ workerId: worker.workerId, kind, source, at: new Date() });
        this.scheduleFlush();
      };
    registry.on('worker:joined', note('joined'));
    registry.on('worker:failed', (worker, info) => note('failed', info.source)(worker));
    registry.on('worker:recovered', note('recovered'));
    registry.on('worker:left', note('left'));
    registry.on('worker:unreachable', note('unreachable', 'broker'));
    registry.on('worker:reachable', note('reachable', 'broker'));
    registry.on('worker:updated', () => this.scheduleFlush());
    this.refreshTimer = setInterval(() => this.scheduleFlush(), this.options.refreshMs ?? 2_000);
    this.refreshTimer.unref();
  }

  /** Writes what is pending, stops, and closes the pool. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.refreshTimer);
    clearTimeout(this.flushTimer);
    await this.flushing;
    await this.flush();
    await this.pool.end();
  }

  private scheduleFlush(): void {
    if (this.closed || this.flushTimer !== undefined) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      // While MySQL is slow or away, one write at a time: the next tick writes the latest view anyway.
      if (this.flushing !== undefined) return;
      this.flushing = this.flush().finally(() => (this.flushing = undefined));
    }, FLUSH_DELAY_MS);
    this.flushTimer.unref();
  }

  /** A failed write is logged and made good by the next one: the directory is a view, not a record. */
  private async flush(): Promise<void> {
    const registry = this.registry;
    if (registry === undefined) return;
    const { namespace, reporter } = this.options;
    const incidents = this.incidents.splice(0);
    const now = new Date();
    const rows = registry.entries().map((entry) => {
      const ad = entry.worker.advertisement;
      return [
        namespace,
        entry.worker.workerId,
        entry.worker.address,
        entry.status,
        !entry.unreachable,
        JSON.stringify(ad.taskTypes),
        JSON.stringify(ad.labels),
        ad.slots,
        Math.max(0, ad.slots - entry.freeSlots),
        entry.failedAt,
        now,
        reporter,
      ];
    });
    try {
      if (rows.length > 0) {
        await this.pool.query({
          timeout: this.timeoutMs,
          sql: `INSERT INTO worker_directory (namespace, worker_id, address, state, reachable, task_types, labels,
             slots, slots_in_use, failed_at, updated_at, reported_by) VALUES ?
           ON DUPLICATE KEY UPDATE address = VALUES(address), state = VALUES(state),
             reachable = VALUES(reachable), task_types = VALUES(task_types), labels = VALUES(labels),
             slots = VALUES(slots), slots_in_use = VALUES(slots_in_use), failed_at = VALUES(failed_at),
             updated_at = VALUES(updated_at), reported_by = VALUES(reported_by)`,
          values: [rows],
        });
      }
      if (incidents.length > 0) {
        await this.pool.query({
          timeout: this.timeoutMs,
          sql: 'INSERT INTO worker_incidents (namespace, worker_id, kind, source, at, reported_by) VALUES ?',
          values: [
            incidents.map((incident) => [
              namespace,
              incident.workerId,
              incident.kind,
              incident.source,
              incident.at,
              reporter,
            ]),
          ],
        });
        await this.pool.query({
          timeout: this.timeoutMs,
          sql: `DELETE FROM worker_incidents WHERE namespace = ? AND id < (
             SELECT id FROM (SELECT id FROM worker_incidents WHERE namespace = ?
               ORDER BY id DESC LIMIT 1 OFFSET ?) AS oldest_kept)`,
          values: [namespace, namespace, KEPT_INCIDENTS - 1],
        });
      }
    } catch (error) {
      // Kept for the next write, as many as the table keeps.
      this.incidents.unshift(...incidents);
      this.incidents.splice(0, Math.max(0, this.incidents.length - KEPT_INCIDENTS));
      this.options.logger.warn(
        { err: error },
        'could not write the worker directory; the next write retries',
      );
    }
  }
}

import { WlmError } from '@wlm/commons/errors';
import type { Logger } from '@wlm/commons/logging';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { GroupCommit } from '@wlm/commons/batching';
import type { ItemOutcome } from '@wlm/commons/batching';
import { openFencePool } from './fence-pool';

/**
 * Which placement of which attempt: the attempt's identity plus the round of a task that runs in
 * rounds (each round is placed once), within one installation (AMQP namespace).
 */
export interface PlacementKey {
  readonly experimentId: string;
  readonly run: number;
  readonly taskId: string;
  readonly attempt: number;
  /** 1 for a task's first round. */
  readonly round: number;
}

/** A placement this scheduler wants to make: the key, the worker it chose and a fresh assignment id. */
export interface PlacementClaim extends PlacementKey {
  readonly workerId: string;
  readonly assignmentId: string;
}

/**
 * What the fence says of a claim:
 * - `ours`: nobody placed this before; publish the assignment, then {@link PlacementFence.confirm}.
 * - `unconfirmed`: somebody claimed it and may not have published it (a scheduler that died between
 *   its claim and its confirm, or another instance placing it right now). Publish exactly that
 *   assignment again — same worker, same assignment id — which the worker recognises as the same
 *   delivery; never a new one.
 * - `placed`: its assignment was confirmed by the broker before: a duplicate, to drop.
 */
export type ClaimOutcome =
  | { readonly kind: 'ours' }
  | { readonly kind: 'unconfirmed'; readonly workerId: string; readonly assignmentId: string }
  | { readonly kind: 'placed'; readonly workerId: string; readonly assignmentId: string };

export interface PlacementFenceOptions {
  /** `mysql://user[:password]@host[:port]/database` (the wlm config's `mysql.url`). */
  readonly url: string;
  /** The AMQP namespace: installations sharing a database keep apart. */
  readonly namespace: string;
  readonly logger: Logger;
  /** Longest one statement may take before it fails (retryably). Default 5,000 ms. */
  readonly queryTimeoutMs?: number;
}

const TABLE = 'attempt_placements';

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${TABLE} (
  namespace VARCHAR(64) NOT NULL,
  experiment_id VARCHAR(128) NOT NULL,
  run INT UNSIGNED NOT NULL,
  task_id VARCHAR(128) NOT NULL,
  attempt SMALLINT UNSIGNED NOT NULL,
  round INT UNSIGNED NOT NULL,
  worker_id VARCHAR(100) NOT NULL,
  assignment_id VARCHAR(128) NOT NULL,
  confirmed BOOLEAN NOT NULL DEFAULT FALSE,
  claimed_at DATETIME(3) NOT NULL,
  PRIMARY KEY (namespace, experiment_id, run, task_id, attempt, round)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

/** Claims, or confirms, handled by one statement at most; more wait for the next group. */
const MAX_GROUP = 500;

/**
 * Groups of claims, and of confirms, written at once: a group that waits on its commit does not hold
 * back the next one, and the two kinds together stay within the pool's connections.
 */
const GROUPS_IN_FLIGHT = 2;

interface PlacementRow extends RowDataPacket {
  experiment_id: string;
  run: number;
  task_id: string;
  attempt: number;
  round: number;
  worker_id: string;
  assignment_id: string;
  confirmed: number;
}

/**
 * The durable fence that makes every attempt run at most once: before an assignment is published, its
 * placement is claimed in MySQL under the attempt's identity, and a placement that exists already is
 * never made anew. Every copy of an attempt that reaches any scheduler instance — the orchestrator
 * republishing after a crash, a redelivered request, two instances, a retry decided twice — passes
 * here, so only one assignment per attempt (and round) ever exists; below the fence a worker's queue
 * has one consumer, which drops a redelivered assignment id it runs or ran.
 *
 * Claims that arrive while others are written go to MySQL together as the next group (one INSERT
 * IGNORE and one SELECT), and so do confirms (one UPDATE), so placing a burst costs three round trips
 * per group, not three per task.
 */
export class PlacementFence {
  private readonly claims: GroupCommit<PlacementClaim, ClaimOutcome>;
  private readonly confirms: GroupCommit<PlacementKey, void>;
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly namespace: string,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {
    const grouping = { maxGroup: MAX_GROUP, groupsInFlight: GROUPS_IN_FLIGHT };
    this.claims = new GroupCommit((group) => this.claimGroup(group), grouping);
    this.confirms = new GroupCommit((group) => this.confirmGroup(group), grouping);
  }

  /** Opens the pool, creating the database and the table when missing. */
  static async open(options: PlacementFenceOptions): Promise<PlacementFence> {
    const timeoutMs = options.queryTimeoutMs ?? 5_000;
    const pool = await openFencePool(options.url, timeoutMs);
    try {
      await pool.query({ sql: CREATE_TABLE, timeout: timeoutMs });
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return new PlacementFence(pool, options.namespace, timeoutMs, options.logger.child({ module: 'fence' }));
  }

  /**
   * Claims one placement; grouped with the claims that arrive meanwhile. Rejects retryably when
   * MySQL does not answer: the request goes back to its queue.
   */
  claim(claim: PlacementClaim): Promise<ClaimOutcome> {
    if (this.closed) return Promise.reject(fenceUnavailable('the placement fence is closed'));
    return this.claims.add(claim);
  }

  /**
   * Marks a placement whose assignment the broker confirmed: no copy of it is ever published again.
   * Grouped with the confirms that arrive meanwhile.
   */
  confirm(key: PlacementKey): Promise<void> {
    if (this.closed) return Promise.reject(fenceUnavailable('the placement fence is closed'));
    return this.confirms.add(key);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Claims and confirms still waiting get a retryable refusal (see the groups' writes): their
    // requests go back to the queue.
    await this.pool.end();
  }

  private async confirmGroup(keys: readonly PlacementKey[]): Promise<ItemOutcome<void>[]> {
    if (this.closed) throw fenceUnavailable('the scheduler is closing');
    const where = placementsWhere(this.namespace, keys);
    await this.pool.query({
      sql: `UPDATE ${TABLE} SET confirmed = TRUE WHERE ${where.sql}`,
      timeout: this.timeoutMs,
      values: where.values,
    });
    return keys.map(() => ({ ok: true, result: undefined }));
  }

  /** {@link writeClaims}, whose failure refuses every claim of the group retryably. */
  private async claimGroup(claims: readonly PlacementClaim[]): Promise<ItemOutcome<ClaimOutcome>[]> {
    if (this.closed) throw fenceUnavailable('the scheduler is closing');
    try {
      const outcomes = await this.writeClaims(claims);
      return outcomes.map((result) => ({ ok: true, result }));
    } catch (error) {
      this.log.warn({ err: error, claims: claims.length }, 'placement claims failed; requests go back');
      if (isFenceUnavailable(error)) throw error;
      throw fenceUnavailable(`cannot claim placements: ${messageOf(error)}`, error);
    }
  }

  private async writeClaims(claims: readonly PlacementClaim[]): Promise<ClaimOutcome[]> {
    const now = new Date();
    const rows = claims.map((claim) => [
      this.namespace,
      claim.experimentId,
      claim.run,
      claim.taskId,
      claim.attempt,
      claim.round,
      claim.workerId,
      claim.assignmentId,
      now,
    ]);
    await this.pool.query<ResultSetHeader>({
      sql:
        `INSERT IGNORE INTO ${TABLE} (namespace, experiment_id, run, task_id, attempt, round, worker_id, ` +
        'assignment_id, claimed_at) VALUES ?',
      timeout: this.timeoutMs,
      values: [rows],
    });
    const where = placementsWhere(this.namespace, claims);
    const [found] = await this.pool.query<PlacementRow[]>({
      sql:
        `SELECT experiment_id, run, task_id, attempt, round, worker_id, assignment_id, confirmed FROM ${TABLE} ` +
        `WHERE ${where.sql}`,
      timeout: this.timeoutMs,
      values: where.values,
    });
    const byKey = new Map(found.map((row) => [rowKey(row), row]));
    return claims.map((claim) => {
      const row = byKey.get(keyOf(claim));
      // Just inserted or found: a row missing now means a statement failed without saying so.
      if (row === undefined) throw fenceUnavailable(`the claim of ${keyOf(claim)} was not recorded`);
      if (row.assignment_id === claim.assignmentId) return { kind: 'ours' };
      const recorded = { workerId: row.worker_id, assignmentId: row.assignment_id };
      return row.confirmed ? { kind: 'placed', ...recorded } : { kind: 'unconfirmed', ...recorded };
    });
  }
}

/**
 * The condition that picks the rows of `keys` in `namespace`, as one primary-key lookup per key. An
 * OR of equalities rather than a row-constructor `IN`: MariaDB reads `(…) IN ((…))` with one tuple
 * in an UPDATE as a range over the namespace alone, so a lone confirm went through every placement
 * the namespace ever made.
 */
export function placementsWhere(
  namespace: string,
  keys: readonly PlacementKey[],
): { sql: string; values: (string | number)[] } {
  const one = '(experiment_id = ? AND run = ? AND task_id = ? AND attempt = ? AND round = ?)';
  return {
    sql: `namespace = ? AND (${keys.map(() => one).join(' OR ')})`,
    values: [
      namespace,
      ...keys.flatMap((key) => [key.experimentId, key.run, key.taskId, key.attempt, key.round]),
    ],
  };
}

function keyOf(key: PlacementKey): string {
  return `${key.experimentId}/${key.run}/${key.taskId}/${key.attempt}#${key.round}`;
}

function rowKey(row: PlacementRow): string {
  return keyOf({
    experimentId: row.experiment_id,
    run: Number(row.run),
    taskId: row.task_id,
    attempt: Number(row.attempt),
    round: Number(row.round),
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const FENCE_UNAVAILABLE = 'PLACEMENT_FENCE_UNAVAILABLE' as const;

function isFenceUnavailable(error: unknown): boolean {
  return error instanceof WlmError && error.code === FENCE_UNAVAILABLE;
}

/** Retryable: the request goes back to its queue and is placed once the database answers again. */
function fenceUnavailable(message: string, cause?: unknown): WlmError {
  return new WlmError(FENCE_UNAVAILABLE, message, {
    retryable: true,
    ...(cause === undefined ? {} : { cause }),
  });
}

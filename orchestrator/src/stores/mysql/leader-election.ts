import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '@wlm/commons/errors';
import type { Logger } from '@wlm/commons/logging';
import type { Connection } from 'mysql2/promise';
import { openConnection } from './connect';
import { recordElection } from './leadership-queries';
import { ORCHESTRATOR_ELECTION, leaderLockName } from './lock-names';
import { parseMysqlUrl } from '@wlm/commons/config';
import type { MysqlServer } from '@wlm/commons/config';
import { RowReader } from './row-reader';
import { selectRows } from './sql';

export interface LeaderElectionOptions {
  /** `mysql.url`; open the {@link MysqlStateStore} first, its migrations create the leadership table. */
  url: string;
  logger: Logger;
  /** Candidates with the same name (in the same database) compete. Default `orchestrator`. */
  name?: string;
  /** Recorded as the holder while this candidate leads. Default `<hostname>:<pid>`. */
  candidateId?: string;
  /** How often the leader checks that it still holds the lock. Default 1000 ms. */
  heartbeatMs?: number;
  /** A heartbeat slower than this deposes the leader (a hung network is as good as a lost one). Default 2000 ms. */
  heartbeatTimeoutMs?: number;
  /**
   * The server drops a lock connection silent for this long, which frees the lock of a leader whose
   * machine vanished without closing its socket (otherwise the default `wait_timeout` of 8 hours would
   * apply). Must exceed `heartbeatMs` + `heartbeatTimeoutMs` by a margin. Default 10 s.
   */
  sessionTimeoutSeconds?: number;
  /** Each GET_LOCK waits this long on the server before the standby asks again. Default 5 s. */
  lockWaitSeconds?: number;
  /** Backoff between failed connection attempts. Default 200 ms doubling to 5 s. */
  reconnectDelayMs?: { initial: number; max: number };
}

/** Why a leader stopped leading. */
export type DeposedReason = 'resigned' | 'connection-lost' | 'lock-lost' | 'heartbeat-timeout';

export interface ElectedEvent {
  /** Fencing token: larger than every earlier leader's. */
  term: number;
  candidateId: string;
}

export interface DeposedEvent {
  term: number;
  reason: DeposedReason;
}

export type LeaderElectionEvents = {
  elected: [ElectedEvent];
  deposed: [DeposedEvent];
};

/** idle → campaigning ⇄ leader; resign() → resigning → idle. */
export type ElectionPhase = 'idle' | 'campaigning' | 'leader' | 'resigning';

/**
 * Leader election among orchestrators with a MariaDB user lock (`GET_LOCK`) held on a dedicated
 * connection: the lock belongs to that connection, so it is released the moment the connection dies
 * and a standby waiting in GET_LOCK wins within milliseconds. The leader heartbeats to learn that
 * it lost its connection; the server's `wait_timeout` on the lock connection bounds how long a
 * silently vanished leader keeps the lock. That makes the lock a lease of `sessionTimeoutSeconds`,
 * renewed by every heartbeat: a leader whose heartbeat goes unanswered for `heartbeatMs` +
 * `heartbeatTimeoutMs` — strictly less than the lease — deposes itself before the server can hand
 * the lock to anyone else. Every statement on the lock connection has a time limit; a connection
 * that misses one is dropped.
 *
 * Leadership is an efficiency measure, not what keeps data correct: between a leader losing its lock
 * and noticing (at most one heartbeat plus its timeout), two orchestrators may both act, and every
 * store write is idempotent and compare-and-set for that reason.
 *
 * @example
 * ```ts
 * const election = new LeaderElection({ url: config.mysql.url, logger });
 * election.on('elected', ({ term }) => engine.start(term));
 * election.on('deposed', () => engine.stop());
 * void election.campaign();
 * // on shutdown:
 * await election.resign();
 * ```
 */
export class LeaderElection extends EventEmitter<LeaderElectionEvents> {
  readonly name: string;
  readonly candidateId: string;
  private readonly server: MysqlServer;
  private readonly database: string;
  private readonly lockName: string;
  private readonly logger: Logger;
  private readonly settings: Required<Omit<LeaderElectionOptions, 'url' | 'logger' | 'name' | 'candidateId'>>;

  private currentPhase: ElectionPhase = 'idle';
  private currentTerm: number | undefined;
  private loop: Promise<void> | undefined;
  private stop: AbortController | undefined;
  private connection: Connection | undefined;
  private waiters: Array<(elected: boolean) => void> = [];

  constructor(options: LeaderElectionOptions) {
    super();
    const target = parseMysqlUrl(options.url);
    this.server = target.server;
    this.database = target.database;
    this.name = options.name ?? ORCHESTRATOR_ELECTION;
    this.candidateId = options.candidateId ?? `${hostname()}:${process.pid}`;
    this.lockName = leaderLockName(this.database, this.name);
    this.logger = options.logger.child({
      module: 'leader-election',
      election: this.name,
      candidate: this.candidateId,
    });
    this.settings = {
      heartbeatMs: options.heartbeatMs ?? 1000,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 2000,
      sessionTimeoutSeconds: options.sessionTimeoutSeconds ?? 10,
      lockWaitSeconds: options.lockWaitSeconds ?? 5,
      reconnectDelayMs: options.reconnectDelayMs ?? { initial: 200, max: 5000 },
    };
    const silence = (this.settings.heartbeatMs + this.settings.heartbeatTimeoutMs) / 1000;
    if (this.settings.sessionTimeoutSeconds <= silence) {
      throw new ConfigError(
        'sessionTimeoutSeconds',
        `sessionTimeoutSeconds (${this.settings.sessionTimeoutSeconds}) must exceed heartbeatMs + ` +
          `heartbeatTimeoutMs (${silence} s), or a live leader would be disconnected between heartbeats`,
      );
    }
  }

  get isLeader(): boolean {
    return this.currentPhase === 'leader';
  }

  get phase(): ElectionPhase {
    return this.currentPhase;
  }

  /** The term of the current leadership, `undefined` while not leading. */
  get term(): number | undefined {
    return this.isLeader ? this.currentTerm : undefined;
  }

  /**
   * Starts campaigning (if not already) and keeps at it — after a deposition too — until
   * {@link resign}. Resolves `true` once this candidate leads, `false` if it resigns first.
   */
  campaign(): Promise<boolean> {
    if (this.currentPhase === 'leader') return Promise.resolve(true);
    if (this.currentPhase === 'resigning')
      return (this.loop ?? Promise.resolve()).then(() => this.campaign());
    const elected = new Promise<boolean>((resolve) => this.waiters.push(resolve));
    if (this.loop === undefined) {
      const stop = new AbortController();
      this.stop = stop;
      this.currentPhase = 'campaigning';
      this.loop = this.run(stop.signal)
        .catch((error: unknown) => this.logger.error({ err: error }, 'leader election stopped unexpectedly'))
        .finally(() => {
          this.loop = undefined;
          this.currentPhase = 'idle';
          this.settle(false);
        });
    }
    return elected;
  }

  /**
   * Stops campaigning. A leader releases the lock (a waiting standby takes over at once) and emits
   * `deposed` with reason `resigned`. Resolves when the lock connection is closed. Idempotent.
   */
  async resign(): Promise<void> {
    const loop = this.loop;
    if (loop === undefined) return;
    if (this.currentPhase !== 'leader') {
      // A leader stays one until it has released the lock; anyone else stops waiting for it now by
      // dropping the connection, which aborts a GET_LOCK in progress.
      this.currentPhase = 'resigning';
      this.connection?.destroy();
    }
    this.stop?.abort();
    await loop;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let connection: Connection | undefined;
      let clean = false;
      try {
        connection = await openConnection(this.server, this.database, {
          waitTimeoutSeconds: this.settings.sessionTimeoutSeconds,
          timeoutMs: this.settings.heartbeatTimeoutMs,
        });
        this.connection = connection;
        // Without an 'error' listener, a lock connection dying while idle would crash the process.
        connection.on('error', (error) => this.logger.debug({ err: error }, 'lock connection closed'));
        if (!(await this.waitForLock(connection, signal))) break;
        failures = 0;
        const term = await recordElection(
          connection,
          this.name,
          this.candidateId,
          this.settings.heartbeatTimeoutMs,
        );
        if (signal.aborted) break;
        this.becomeLeader(term);
        const reason = await this.lead(connection, signal);
        this.depose(term, reason);
        if (reason === 'resigned') {
          await this.releaseLock(connection);
          clean = true;
        }
      } catch (error) {
        if (this.currentPhase === 'leader') this.depose(this.currentTerm ?? 0, 'connection-lost');
        if (!signal.aborted) {
          failures += 1;
          this.logger.warn({ err: error, failures }, 'leader election connection failed; retrying');
        }
      } finally {
        this.connection = undefined;
        if (connection !== undefined) await close(connection, clean);
      }
      if (!signal.aborted && failures > 0) await this.backoff(failures, signal);
    }
  }

  /** Waits for the lock in bounded server-side waits, so a resignation is noticed between them. */
  private async waitForLock(connection: Connection, signal: AbortSignal): Promise<boolean> {
    this.logger.debug('waiting for the leader lock');
    while (!signal.aborted) {
      // The server answers within lockWaitSeconds; one that does not is as good as gone.
      const rows = await selectRows(
        connection,
        'SELECT GET_LOCK(?, ?) AS acquired',
        [this.lockName, this.settings.lockWaitSeconds],
        { timeoutMs: this.settings.lockWaitSeconds * 1000 + this.settings.heartbeatTimeoutMs },
      );
      const row = rows[0];
      if (row !== undefined && new RowReader('GET_LOCK', row).flag('acquired')) {
        if (!signal.aborted) return true;
        await this.releaseLock(connection);
      }
    }
    return false;
  }

  /**
   * Heartbeats until the lock is lost or the candidate resigns; returns why leadership ended. Losing the
   * connection is noticed at once through its events; a hung one, by the heartbeat's timeout.
   */
  private async lead(connection: Connection, signal: AbortSignal): Promise<DeposedReason> {
    const ending = new AbortController();
    let reason: DeposedReason | undefined;
    const end = (why: DeposedReason): void => {
      reason ??= why;
      ending.abort();
    };
    const onLost = (): void => end('connection-lost');
    const onResign = (): void => end('resigned');
    connection.on('error', onLost);
    connection.on('end', onLost);
    signal.addEventListener('abort', onResign);
    if (signal.aborted) onResign();
    try {
      while (reason === undefined) {
        const slept = await sleep(this.settings.heartbeatMs, true, { signal: ending.signal }).catch(
          () => false,
        );
        if (!slept) break;
        const check = await this.stillHolds(connection);
        if (check !== 'held') end(check);
      }
      return reason ?? 'connection-lost';
    } finally {
      connection.off('error', onLost);
      connection.off('end', onLost);
      signal.removeEventListener('abort', onResign);
    }
  }

  private async stillHolds(connection: Connection): Promise<'held' | DeposedReason> {
    try {
      const rows = await selectRows(
        connection,
        'SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS held',
        [this.lockName],
        {
          timeoutMs: this.settings.heartbeatTimeoutMs,
        },
      );
      const row = rows[0];
      return row !== undefined && new RowReader('IS_USED_LOCK', row).flag('held') ? 'held' : 'lock-lost';
    } catch (error) {
      const timedOut = errorCode(error) === 'PROTOCOL_SEQUENCE_TIMEOUT';
      this.logger.warn({ err: error }, 'leader heartbeat failed');
      return timedOut ? 'heartbeat-timeout' : 'connection-lost';
    }
  }

  private async releaseLock(connection: Connection): Promise<void> {
    await selectRows(connection, 'SELECT RELEASE_LOCK(?) AS released', [this.lockName], {
      timeoutMs: this.settings.heartbeatTimeoutMs,
    });
  }

  private becomeLeader(term: number): void {
    this.currentTerm = term;
    this.currentPhase = 'leader';
    this.logger.info({ term }, 'elected leader');
    this.notify('elected', () => this.emit('elected', { term, candidateId: this.candidateId }));
    this.settle(true);
  }

  private depose(term: number, reason: DeposedReason): void {
    this.currentPhase = reason === 'resigned' ? 'resigning' : 'campaigning';
    if (reason === 'resigned') this.logger.info({ term, reason }, 'resigned the leadership');
    else this.logger.warn({ term, reason }, 'lost the leadership; campaigning again');
    this.notify('deposed', () => this.emit('deposed', { term, reason }));
  }

  /** A listener that throws must not break the election loop (and lose track of the lock). */
  private notify(event: keyof LeaderElectionEvents, emit: () => void): void {
    try {
      emit();
    } catch (error) {
      this.logger.error({ err: error, event }, 'a leader election listener threw');
    }
  }

  private settle(elected: boolean): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve(elected);
  }

  private async backoff(failures: number, signal: AbortSignal): Promise<void> {
    const { initial, max } = this.settings.reconnectDelayMs;
    const delay = Math.min(max, initial * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
    await sleep(delay, undefined, { signal }).catch(() => undefined);
  }
}

async function close(connection: Connection, clean: boolean): Promise<void> {
  if (!clean) {
    connection.destroy();
    return;
  }
  await connection.end().catch(() => connection.destroy());
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

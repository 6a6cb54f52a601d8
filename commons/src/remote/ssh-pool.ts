import pino from 'pino';
import type { Logger } from 'pino';
import { WlmError } from '../errors/wlm-error';
import type { ComputeResource } from './compute-resource';
import { connectWithRetry } from './ssh-connect';
import { PooledSshConnection } from './ssh-connection';
import type { SshConnection } from './ssh-connection';
import { sshAddress } from './ssh-errors';

export type { SshConnection } from './ssh-connection';

export interface SshPoolOptions {
  /** Gets `resource` and `address` (`user@host:port`) as scope fields; never key material. */
  logger?: Logger;
  /** The clock idle connections are measured with, in milliseconds. */
  now?: () => number;
}

/** A connect in progress, shared by every caller that asked for the same resource meanwhile. */
interface PendingConnect {
  readonly promise: Promise<PooledSshConnection>;
  readonly controller: AbortController;
  waiters: number;
}

interface PoolEntry {
  connection: PooledSshConnection | undefined;
  pending: PendingConnect | undefined;
}

/** JSON with object keys sorted, so equal settings give equal text whatever order they were written in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

/** Settles like `promise`, or rejects with the signal's reason as soon as it is aborted. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * SSH connections to compute resources, one per resource, opened on first use and shared by every
 * task of the process. A dropped connection is forgotten, so the next {@link connect} opens a new one;
 * one unused for `connection.idleCloseMs` is closed.
 *
 * Connections are keyed by the resource's name *and* settings: after a config change the new settings
 * get a connection of their own, and one made with the old settings (another pinned host key, say) is
 * never handed out for the new ones.
 *
 * @example
 * ```ts
 * const ssh = await sharedSshPool().connect(ctx.resources.get('hpc'), signal);
 * const jobId = (await ssh.run(`sbatch --parsable ${shellQuote(script)}`, { signal })).trim();
 * ```
 */
export class SshPool {
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly entries = new Map<string, PoolEntry>();
  /** Every connection not yet closed, including retired ones that finish their last commands. */
  private readonly live = new Set<PooledSshConnection>();
  private closing: Promise<void> | undefined;

  constructor(options: SshPoolOptions = {}) {
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.now = options.now ?? Date.now;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * The pooled connection of `resource`, opened (and logged in) if there is none. Connect attempts back
   * off exponentially (`backoffMs` … `maxBackoffMs`) up to `connection.maxAttempts` for timeouts and
   * refused or reset connections; a refused login or host key fails at once.
   *
   * @throws `SshError` (see its `code`), `ComputeResourceError` `RESOURCE_INVALID` for an unreadable key or
   * known_hosts file, `signal.reason` when aborted, `WlmError` `SHUTTING_DOWN` once the pool is closed.
   */
  async connect(resource: ComputeResource, signal?: AbortSignal): Promise<SshConnection> {
    signal?.throwIfAborted();
    this.assertNotClosed();
    const key = `${resource.name}\0${canonicalJson(resource)}`;
    const entry: PoolEntry = this.entries.get(key) ?? { connection: undefined, pending: undefined };
    this.entries.set(key, entry);
    if (entry.connection?.isOpen) {
      entry.connection.touch();
      return entry.connection;
    }
    const pending = (entry.pending ??= this.open(key, entry, resource));
    pending.waiters += 1;
    try {
      const connection = await untilAborted(pending.promise, signal);
      connection.touch();
      return connection;
    } finally {
      pending.waiters -= 1;
      // Nobody wants this connect any more: stop it rather than retry on for no one.
      if (pending.waiters === 0 && entry.pending === pending && signal?.aborted) {
        entry.pending = undefined;
        pending.controller.abort(signal.reason);
      }
    }
  }

  /** Closes every connection and stops connects in progress; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const entries = [...this.entries.values()];
      this.entries.clear();
      const stopping = new WlmError('SHUTTING_DOWN', 'the SSH pool was closed');
      for (const entry of entries) entry.pending?.controller.abort(stopping);
      await Promise.allSettled(entries.map((entry) => entry.pending?.promise));
      await Promise.allSettled([...this.live].map((connection) => connection.close()));
    })();
    return this.closing;
  }

  private open(key: string, entry: PoolEntry, resource: ComputeResource): PendingConnect {
    const controller = new AbortController();
    const logger = this.logger.child({ resource: resource.name, address: sshAddress(resource) });
    const promise = (async () => {
      const client = await connectWithRetry(resource, controller.signal, logger);
      const connection = new PooledSshConnection(resource, client, {
        logger,
        now: this.now,
        onUnusable: () => {
          if (entry.connection === connection) entry.connection = undefined;
          this.forgetIfEmpty(key, entry);
        },
      });
      this.live.add(connection);
      void connection.whenClosed.then(() => this.live.delete(connection));
      if (this.closing !== undefined || controller.signal.aborted) {
        await connection.close();
        throw controller.signal.reason ?? new WlmError('SHUTTING_DOWN', 'the SSH pool was closed');
      }
      logger.info('SSH connection opened');
      return connection;
    })();
    const pending: PendingConnect = { promise, controller, waiters: 0 };
    promise.then(
      (connection) => {
        if (entry.pending === pending) entry.pending = undefined;
        if (connection.isOpen) entry.connection = connection;
      },
      (error: unknown) => {
        if (entry.pending === pending) entry.pending = undefined;
        this.forgetIfEmpty(key, entry);
        if (!controller.signal.aborted) logger.warn({ err: error }, 'SSH connect failed');
      },
    );
    return pending;
  }

  private forgetIfEmpty(key: string, entry: PoolEntry): void {
    if (this.entries.get(key) === entry && entry.connection === undefined && entry.pending === undefined) {
      this.entries.delete(key);
    }
  }

  private assertNotClosed(): void {
    if (this.closing !== undefined) throw new WlmError('SHUTTING_DOWN', 'the SSH pool was closed');
  }
}

let shared: SshPool | undefined;

/**
 * The process-wide pool for task plugins: a worker's task process runs many tasks, and they share
 * connections. Whoever owns the process closes it at shutdown; after that a new pool is made.
 */
export function sharedSshPool(): SshPool {
  if (shared === undefined || shared.closed) shared = new SshPool();
  return shared;
}

import { EventEmitter } from 'node:events';
import { finished } from 'node:stream';
import type { Logger } from 'pino';
import type { Client, SFTPWrapper } from 'ssh2';
import type { ComputeResource } from './compute-resource';
import { exportEnvironment } from './remote-shell';
import type { CommandResult, ExecOptions, RemoteShell } from './remote-shell';
import { ComputeResourceError, RemoteCommandError, SshError } from './ssh-errors';
import { execOnClient } from './ssh-exec';

/** A pooled, logged-in SSH connection to one compute resource. */
export interface SshConnection extends RemoteShell {
  readonly resource: ComputeResource;
  /**
   * The connection's SFTP channel, opened on first use and reused. Paths are on the resource; relative
   * ones start at the user's home directory, so prefer paths under `resource.workRoot`.
   */
  sftp(): Promise<SFTPWrapper>;
}

const STDERR_TAIL_BYTES = 2048;
/** OpenSSH allows 10 sessions per connection (`MaxSessions`); one is kept for SFTP and one spare. */
const MAX_CONCURRENT_COMMANDS = 8;
/** A connection that does not close politely within this long is cut. */
const CLOSE_GRACE_MS = 2_000;
const EMITTER_METHODS = new Set<PropertyKey>(Object.getOwnPropertyNames(EventEmitter.prototype));

function tail(text: string, bytes: number): string {
  const buffer = Buffer.from(text, 'utf8');
  return buffer.length <= bytes ? text : buffer.subarray(buffer.length - bytes).toString('utf8');
}

export interface PooledSshConnectionOptions {
  logger: Logger;
  now: () => number;
  /** Called when the connection must no longer be handed out: retired, then closed (so maybe twice). */
  onUnusable: () => void;
}

/**
 * An {@link SshConnection} that knows when it is in use (commands running, SFTP requests or streams
 * outstanding) and closes itself after `connection.idleCloseMs` without use.
 */
export class PooledSshConnection implements SshConnection {
  private open = true;
  /** Set when the connection stopped accepting channels: finish what runs, then close. */
  private retiring = false;
  private busy = 0;
  private lastUsed: number;
  private idleTimer: NodeJS.Timeout | undefined;
  private sftpChannel: Promise<SFTPWrapper> | undefined;
  private running = 0;
  private readonly waitingForSlot: (() => void)[] = [];
  private closing: Promise<void> | undefined;
  private readonly closed: Promise<void>;

  constructor(
    readonly resource: ComputeResource,
    private readonly client: Client,
    private readonly options: PooledSshConnectionOptions,
  ) {
    this.lastUsed = options.now();
    this.closed = new Promise((resolve) => {
      client.once('close', () => {
        this.open = false;
        clearTimeout(this.idleTimer);
        for (const wake of this.waitingForSlot.splice(0)) wake();
        options.logger.debug('SSH connection closed');
        options.onUnusable();
        resolve();
      });
    });
    client.on('error', (error: Error) => options.logger.warn({ err: error }, 'SSH connection failed'));
    this.touch();
  }

  /** Settles when the SSH session has ended, for whatever reason. */
  get whenClosed(): Promise<void> {
    return this.closed;
  }

  /** True until the connection closes or is retired; it is never reopened (ask the pool again). */
  get isOpen(): boolean {
    return this.open && !this.retiring;
  }

  exec(command: string, options: ExecOptions = {}): Promise<CommandResult> {
    return this.use(async () => {
      await this.acquireSlot(options.signal);
      try {
        this.assertOpen();
        const script = `${exportEnvironment(this.resource.env)}${command}`;
        return await execOnClient(this.client, this.resource, script, command, options);
      } catch (error) {
        // sshd refused a channel, or dropped one, on a connection that looks alive: it may hold sessions
        // of killed commands for a while (and refuse new ones), so let the pool open a fresh connection.
        if (error instanceof SshError && error.code === 'SSH_CONNECTION_LOST' && this.open) this.retire();
        throw error;
      } finally {
        this.releaseSlot();
      }
    });
  }

  async run(command: string, options: ExecOptions = {}): Promise<string> {
    const result = await this.exec(command, options);
    if (result.exitCode !== 0) {
      throw new RemoteCommandError(
        this.resource,
        command,
        result.exitCode,
        tail(result.stderr, STDERR_TAIL_BYTES),
      );
    }
    return result.stdout;
  }

  sftp(): Promise<SFTPWrapper> {
    this.touch();
    this.sftpChannel ??= this.openSftp();
    return this.sftpChannel;
  }

  /** Marks the connection used now: the idle countdown starts again. */
  touch(): void {
    this.lastUsed = this.options.now();
    if (!this.open || this.busy > 0) return;
    if (this.retiring) {
      void this.close();
      return;
    }
    clearTimeout(this.idleTimer);
    const idleMs = this.resource.connection.idleCloseMs;
    this.idleTimer = setTimeout(() => this.closeIfIdle(), idleMs);
    // An idle pooled connection's timer alone should not keep the process alive.
    this.idleTimer.unref();
  }

  /** Ends the SSH session (cutting it after a short grace period); idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.idleTimer);
      if (this.open) {
        this.client.end();
        const cut = setTimeout(() => this.client.destroy(), CLOSE_GRACE_MS);
        await this.closed;
        clearTimeout(cut);
      }
    })();
    return this.closing;
  }

  private closeIfIdle(): void {
    if (!this.open || this.busy > 0) return;
    const idleMs = this.resource.connection.idleCloseMs;
    const unusedMs = this.options.now() - this.lastUsed;
    if (unusedMs < idleMs) {
      this.idleTimer = setTimeout(() => this.closeIfIdle(), idleMs - unusedMs);
      this.idleTimer.unref();
      return;
    }
    this.options.logger.debug({ idleMs: unusedMs }, 'closing idle SSH connection');
    void this.close();
  }

  private retire(): void {
    if (this.retiring) return;
    this.retiring = true;
    this.options.logger.warn('SSH connection refused or dropped a channel; replacing it once it is unused');
    this.options.onUnusable();
  }

  private async use<T>(work: () => Promise<T>): Promise<T> {
    this.enter();
    try {
      return await work();
    } finally {
      this.leave();
    }
  }

  private enter(): void {
    this.busy += 1;
    this.lastUsed = this.options.now();
    clearTimeout(this.idleTimer);
  }

  private leave(): void {
    this.busy -= 1;
    this.touch();
  }

  private assertOpen(): void {
    if (!this.open) {
      throw new SshError(
        'SSH_CONNECTION_LOST',
        this.resource,
        'the SSH connection is closed (dropped, idle or pool closed); get a new one with SshPool.connect()',
      );
    }
  }

  private async acquireSlot(signal: AbortSignal | undefined): Promise<void> {
    while (this.running >= MAX_CONCURRENT_COMMANDS && this.open) {
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          signal?.removeEventListener('abort', wake);
          const index = this.waitingForSlot.indexOf(wake);
          if (index >= 0) this.waitingForSlot.splice(index, 1);
          resolve();
        };
        this.waitingForSlot.push(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
    signal?.throwIfAborted();
    this.running += 1;
  }

  private releaseSlot(): void {
    this.running -= 1;
    this.waitingForSlot.shift()?.();
  }

  private openSftp(): Promise<SFTPWrapper> {
    return new Promise<SFTPWrapper>((resolve, reject) => {
      this.assertOpen();
      this.client.sftp((error, sftp) => {
        if (error) {
          this.sftpChannel = undefined;
          reject(
            this.open
              ? new ComputeResourceError(
                  'RESOURCE_INVALID',
                  this.resource.name,
                  `compute resource "${this.resource.name}": cannot open an SFTP channel (${error.message}); ` +
                    'does its sshd have a "Subsystem sftp" line?',
                  { cause: error },
                )
              : new SshError(
                  'SSH_CONNECTION_LOST',
                  this.resource,
                  `cannot open an SFTP channel: ${error.message}`,
                  {
                    cause: error,
                  },
                ),
          );
          return;
        }
        sftp.once('close', () => {
          this.sftpChannel = undefined;
        });
        resolve(this.trackUse(sftp));
      });
    });
  }

  /**
   * The SFTP channel, wrapped so that the connection counts as in use while a request waits for its
   * callback or a file stream is open: a long upload must not be cut as "idle".
   */
  private trackUse(sftp: SFTPWrapper): SFTPWrapper {
    return new Proxy(sftp, {
      get: (target, property) => {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function' || EMITTER_METHODS.has(property)) return value;
        return (...args: unknown[]): unknown => {
          const last = args.length - 1;
          const callback = args[last];
          if (typeof callback === 'function') {
            this.enter();
            let done = false;
            args[last] = (...results: unknown[]): unknown => {
              if (!done) {
                done = true;
                this.leave();
              }
              return Reflect.apply(callback, undefined, results);
            };
          }
          const result: unknown = Reflect.apply(value, target, args);
          if (result instanceof EventEmitter && 'pipe' in result) {
            this.enter();
            finished(result as NodeJS.ReadableStream, () => this.leave());
          }
          return result;
        };
      },
    });
  }
}

import { WlmError } from '@wlm/commons/errors';
import type { Logger } from '@wlm/commons/logging';

/**
 * Whether a store still takes calls, and its one close: the first `close` releases the store's
 * connections (a MySQL pool, a Neo4j driver); later ones wait for that same release. A release
 * that fails is logged, not thrown: the process is stopping and there is nothing left to retry.
 */
export class StoreLifecycle {
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | undefined;

  constructor(
    /** Names the store in errors and logs, e.g. `the MySQL state store`. */
    private readonly name: string,
    private readonly release: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** Throws SHUTTING_DOWN once `close` was called. */
  ensureOpen(): void {
    if (this.state !== 'open') throw new WlmError('SHUTTING_DOWN', `${this.name} is closed`);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = 'closing';
    try {
      await this.release();
    } catch (error) {
      this.logger.warn({ err: error }, `closing ${this.name} failed`);
    } finally {
      this.state = 'closed';
    }
  }
}

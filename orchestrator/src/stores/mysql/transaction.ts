import { withRetry } from '@wlm/commons/errors';
import type { RetryOptions } from '@wlm/commons/errors';
import type { Logger } from '@wlm/commons/logging';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { onPooledConnection } from './pooled-connection';

/**
 * Runs `work` in one transaction on one pooled connection, retrying the whole transaction on retryable
 * errors (deadlock, lock wait timeout, lost connection) until `signal` aborts. Re-running it is safe
 * because every write of the store is idempotent — including after a commit whose acknowledgement was
 * lost, when the first attempt did commit. On abort the connection is destroyed, which makes the
 * server roll back whatever the transaction had done (at once, or — if the server cannot hear us —
 * when the session's `wait_timeout` drops it).
 */
export function inTransaction<T>(
  pool: Pool,
  logger: Logger,
  retry: RetryOptions,
  signal: AbortSignal,
  work: (connection: PoolConnection) => Promise<T>,
): Promise<T> {
  return withRetry(
    () =>
      onPooledConnection(pool, signal, async (connection) => {
        await connection.beginTransaction();
        try {
          const result = await work(connection);
          await connection.commit();
          return result;
        } catch (error) {
          await rollback(connection, logger);
          throw error;
        }
      }),
    { ...retry, signal },
  );
}

async function rollback(connection: PoolConnection, logger: Logger): Promise<void> {
  try {
    await connection.rollback();
  } catch (rollbackError) {
    // A connection that cannot roll back may still hold the transaction open; never reuse it.
    logger.debug({ err: rollbackError }, 'rollback failed; discarding the connection');
    connection.destroy();
  }
}

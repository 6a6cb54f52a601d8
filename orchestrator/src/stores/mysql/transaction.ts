import { withRetry } from '@wlm/commons';
import type { Logger, RetryOptions } from '@wlm/commons';
import type { Pool, PoolConnection } from 'mysql2/promise';

/**
 * Runs `work` in one transaction on one pooled connection, retrying the whole transaction on retryable
 * errors (deadlock, lock wait timeout, lost connection). Re-running it is safe because every write of
 * the store is idempotent — including after a commit whose acknowledgement was lost, when the first
 * attempt did commit.
 */
export function inTransaction<T>(
  pool: Pool,
  logger: Logger,
  retry: RetryOptions,
  work: (connection: PoolConnection) => Promise<T>,
): Promise<T> {
  return withRetry(async () => {
    const connection = await pool.getConnection();
    let reusable = true;
    try {
      await connection.beginTransaction();
      const result = await work(connection);
      await connection.commit();
      return result;
    } catch (error) {
      try {
        await connection.rollback();
      } catch (rollbackError) {
        // A connection that cannot roll back may still hold the transaction open; never reuse it.
        reusable = false;
        logger.debug({ err: rollbackError }, 'rollback failed; discarding the connection');
      }
      throw error;
    } finally {
      if (reusable) connection.release();
      else connection.destroy();
    }
  }, retry);
}

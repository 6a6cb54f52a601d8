import type { Pool, PoolConnection } from 'mysql2/promise';

/**
 * Runs `work` on a connection of `pool` and gives it back. When `signal` aborts (the call's deadline
 * passed), the connection is destroyed instead: a command stuck on it would otherwise keep it, and
 * the next caller would queue behind that command. A connection that arrives after the abort is
 * destroyed at once and `work` never runs.
 */
export async function onPooledConnection<T>(
  pool: Pool,
  signal: AbortSignal,
  work: (connection: PoolConnection) => Promise<T>,
): Promise<T> {
  const connection = await pool.getConnection();
  if (signal.aborted) {
    connection.destroy();
    throw signal.reason;
  }
  const drop = (): void => connection.destroy();
  signal.addEventListener('abort', drop, { once: true });
  let reusable = true;
  try {
    return await work(connection);
  } catch (error) {
    reusable = !isFatal(error);
    throw error;
  } finally {
    signal.removeEventListener('abort', drop);
    if (signal.aborted || !reusable) connection.destroy();
    else connection.release();
  }
}

/** mysql2 marks the errors after which a connection is unusable `fatal`. */
function isFatal(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { fatal?: unknown }).fatal === true;
}

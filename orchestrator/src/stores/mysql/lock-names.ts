import { createHash } from 'node:crypto';

/** The election the orchestrators run among themselves. */
export const ORCHESTRATOR_ELECTION = 'orchestrator';

/** MariaDB rejects user-lock names longer than 64 characters. */
const MAX_LOCK_NAME = 64;

/**
 * A `GET_LOCK` name for `purpose` in `database`. User locks are global to the server, so the database
 * is part of the name: two deployments (or two test files) sharing a server must not block each other.
 */
function serverLockName(database: string, purpose: string): string {
  const name = `wlm:${database}:${purpose}`;
  if (name.length <= MAX_LOCK_NAME) return name;
  return `wlm:${createHash('sha256')
    .update(name)
    .digest('hex')
    .slice(0, MAX_LOCK_NAME - 4)}`;
}

/** Serializes schema migrations of one database. */
export function migrationLockName(database: string): string {
  return serverLockName(database, 'migrate');
}

/** The lock whose holder is the leader of election `name` in one database. */
export function leaderLockName(database: string, name: string): string {
  return serverLockName(database, `leader:${name}`);
}

/**
 * Fault injection for the crash-recovery tests, and nothing else: when the environment variable
 * `WLM_TEST_CRASH_AT` names a point, the process SIGKILLs itself on reaching it — no cleanup, no
 * flushed buffers, exactly like a power cut at that line. Unset (always, outside those tests), a
 * crash point costs one property read.
 *
 * Points (docs/recovery.md walks through each):
 * - `after-mysql-create`: the experiment row exists (PENDING, registered), its DAG is not in Neo4j;
 * - `after-neo4j-instantiate`: the concrete DAG exists, the experiment is still PENDING;
 * - `after-publish`: task requests are confirmed by the broker, their nodes not yet marked QUEUED;
 * - `before-event-ack`: a batch of events is written to both stores and acted on, not yet acked.
 */
export type CrashPoint =
  'after-mysql-create' | 'after-neo4j-instantiate' | 'after-publish' | 'before-event-ack';

export const CRASH_POINT_VARIABLE = 'WLM_TEST_CRASH_AT';

export function crashPoint(point: CrashPoint): void {
  if (process.env[CRASH_POINT_VARIABLE] === point) process.kill(process.pid, 'SIGKILL');
}

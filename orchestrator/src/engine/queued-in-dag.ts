import { RecentSet } from '@wlm/commons/collections';
import { attemptKey } from '@wlm/commons/wire';
import type { TaskStateChange } from '../domain/dag-store';

/**
 * Attempts remembered at most. A scheduler's QUEUED follows its dispatch within moments, and takes
 * the entry with it; what stays is attempts still waiting for a worker, and past this many the
 * oldest only cost a redundant write again.
 */
const CAPACITY = 20_000;

/**
 * The attempts whose QUEUED this process saw committed in the DAG store (the dispatcher's record).
 *
 * A node's state there only moves forward, by attempt and then by rank (`SET_TASK_STATES`), so such
 * a node stays at or beyond that QUEUED for good, and the scheduler's QUEUED event for the same
 * attempt — sent at every placement — would change nothing in it. The event path leaves that change
 * out and spares the DAG store a write, which, where events arrive one or two at a time, is a
 * transaction per task. MySQL still records the event: it names the worker.
 *
 * What this process does not know (another orchestrator dispatched, a restart forgot, the record was
 * not yet committed when the event came) is written as before: forgetting only costs that write.
 */
export class QueuedInDag {
  private readonly attempts = new RecentSet<string>({ capacity: CAPACITY });

  /** Call once `changes` are committed in the DAG store; remembers the QUEUED among them. */
  remember(changes: readonly TaskStateChange[]): void {
    for (const change of changes) if (change.state === 'QUEUED') this.attempts.add(attemptKey(change));
  }

  /**
   * Whether writing `change` to the DAG store would change nothing because it is a QUEUED already
   * committed there. Forgets it: a placement sends one QUEUED, and a repeated one is only written again.
   */
  take(change: TaskStateChange): boolean {
    if (change.state !== 'QUEUED') return false;
    return this.attempts.delete(attemptKey(change));
  }
}

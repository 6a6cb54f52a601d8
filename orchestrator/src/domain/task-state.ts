/** Task states, as users see them in the API and `wlm status` (docs/dags.md, States). */
export const TASK_STATES = ['PENDING', 'QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/**
 * How far along a task run is. Events arrive at least once and out of order, so a run's state only
 * moves to a higher rank: a late RUNNING never overwrites COMPLETED. The terminal states share the top
 * rank on purpose — the first terminal event recorded for an attempt wins, and a later, conflicting
 * one (a COMPLETED racing a CANCELLED) is ignored rather than flipping the outcome after the engine
 * has acted on it. A new outcome needs a new attempt.
 */
export const TASK_STATE_RANK: Readonly<Record<TaskState, number>> = {
  PENDING: 0,
  QUEUED: 1,
  RUNNING: 2,
  COMPLETED: 3,
  FAILED: 3,
  CANCELLED: 3,
};

export function isTaskState(value: unknown): value is TaskState {
  return typeof value === 'string' && (TASK_STATES as readonly string[]).includes(value);
}

export function isTerminalTaskState(state: TaskState): boolean {
  return TASK_STATE_RANK[state] === TASK_STATE_RANK.COMPLETED;
}

/** True when an event reporting `next` should replace a recorded `current` state. */
export function taskStateAdvances(current: TaskState, next: TaskState): boolean {
  return TASK_STATE_RANK[next] > TASK_STATE_RANK[current];
}

/** What identifies one attempt of a task: every consumer is idempotent on it (DESIGN.md). */
export interface TaskAttemptRef {
  readonly experimentId: string;
  readonly taskId: string;
  readonly attempt: number;
}

/**
 * `experimentId/taskId/attempt`. Neither id may contain `/` (see the wire field schemas), so keys of
 * different attempts never collide.
 */
export function taskKey(ref: TaskAttemptRef): string {
  return `${ref.experimentId}/${ref.taskId}/${ref.attempt}`;
}

/** A request: an attempt, and for a task that runs in rounds, which round of it. */
export interface TaskRequestRef extends TaskAttemptRef {
  readonly continuation?: { readonly round: number } | undefined;
}

/**
 * {@link taskKey}, with `#<round>` for the rounds after the first of a task that runs in rounds: the
 * rounds of one attempt are different requests, each placed once.
 */
export function requestKey(ref: TaskRequestRef): string {
  const key = taskKey(ref);
  return ref.continuation === undefined ? key : `${key}#${ref.continuation.round}`;
}

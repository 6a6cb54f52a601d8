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

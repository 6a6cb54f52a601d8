import { z } from 'zod';
import { attemptSchema, experimentIdSchema, runSchema, taskIdSchema } from './fields';

/**
 * The identity of one attempt of one task: `(experimentId, run, taskId, attempt)`. Every message about
 * an attempt — request, assignment, each event — carries these four fields, and everything that
 * deduplicates or fences does it on them, through this module only.
 *
 * - `run` tells a rerun's attempts from an earlier run's: a late event of run r − 1 is never taken
 *   for run r's.
 * - `attempt` numbers the tries of the task within its run; a new one is made only when the previous
 *   one is known to have ended (it failed, timed out, or its worker was lost).
 */
export const attemptIdentityShape = {
  experimentId: experimentIdSchema,
  /** The experiment's run: 1 for its first, one more for each rerun. */
  run: runSchema,
  taskId: taskIdSchema,
  attempt: attemptSchema,
};

export const attemptIdentitySchema = z.object(attemptIdentityShape);

export type AttemptIdentity = z.infer<typeof attemptIdentitySchema>;

/** The four identity fields of any message about an attempt, and nothing else. */
export function attemptIdentityOf(message: AttemptIdentity): AttemptIdentity {
  return {
    experimentId: message.experimentId,
    run: message.run,
    taskId: message.taskId,
    attempt: message.attempt,
  };
}

/**
 * `experimentId/run/taskId/attempt`: a map key. No id may contain `/` (see the field schemas), so
 * the keys of different attempts never collide.
 */
export function attemptKey(identity: AttemptIdentity): string {
  return `${identity.experimentId}/${identity.run}/${identity.taskId}/${identity.attempt}`;
}

/** Whether two messages are about the same attempt. */
export function sameAttempt(a: AttemptIdentity, b: AttemptIdentity): boolean {
  return (
    a.experimentId === b.experimentId && a.run === b.run && a.taskId === b.taskId && a.attempt === b.attempt
  );
}

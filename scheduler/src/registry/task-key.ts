import { attemptKey } from '@wlm/commons/wire';
import type { AttemptIdentity } from '@wlm/commons/wire';

/** A request: an attempt, and for a task that runs in rounds, which round of it. */
export interface TaskRequestRef extends AttemptIdentity {
  readonly continuation?: { readonly round: number } | undefined;
}

/**
 * The attempt's key (commons' `attemptKey`), with `#<round>` for the rounds after the first of a task that runs in rounds: the
 * rounds of one attempt are different requests, each placed once.
 */
export function requestKey(ref: TaskRequestRef): string {
  const key = attemptKey(ref);
  return ref.continuation === undefined ? key : `${key}#${ref.continuation.round}`;
}

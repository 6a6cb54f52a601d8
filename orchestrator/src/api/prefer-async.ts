import type { Request, Response } from 'express';
import type { Experiment } from '../domain/records';

/**
 * Whether the client asked to be answered before the experiment starts: `Prefer: respond-async`
 * (RFC 7240), among other preferences or alone, in any case.
 */
export function prefersRespondAsync(request: Request): boolean {
  const prefer = request.get('prefer') ?? '';
  return prefer.split(',').some((preference) => /^\s*respond-async\s*(;|$)/i.test(preference));
}

/**
 * The status of a submission's answer: 202 for an experiment answered as stored, before its start
 * (the client preferred it, and the answer then carries `Preference-Applied: respond-async`), 201
 * for one created and started, 200 for an earlier submission returned under its idempotency key.
 */
export function submissionStatus(experiment: Pick<Experiment, 'state'>, created: boolean): 200 | 201 | 202 {
  if (!created) return 200;
  return experiment.state === 'PENDING' ? 202 : 201;
}

/** Says the answer came before the start, as RFC 7240 asks of a server honouring a preference. */
export function markRespondedAsync(response: Response): void {
  response.set('Preference-Applied', 'respond-async');
}

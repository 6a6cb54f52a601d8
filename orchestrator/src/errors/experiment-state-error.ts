import { WlmError } from '@wlm/commons/errors';
import type { ExperimentState } from '../domain/experiment-state';

/**
 * An action (cancel, rerun, resume) that the experiment's current state does not allow, e.g. resuming
 * a COMPLETED experiment. The API answers 409: the request was well formed, the timing was not.
 */
export class ExperimentStateError extends WlmError {
  override readonly name = 'ExperimentStateError';

  constructor(
    readonly experimentId: string,
    readonly action: string,
    readonly state: ExperimentState,
    readonly allowedStates: readonly ExperimentState[],
  ) {
    super(
      'EXPERIMENT_STATE_INVALID',
      `cannot ${action} experiment ${experimentId}: it is ${state}, and ${action} needs ` +
        `${allowedStates.join(' or ')}`,
    );
  }
}

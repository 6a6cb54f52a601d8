import { WlmError } from '@wlm/commons/errors';

/**
 * A submission reused an idempotency key (or an explicit experiment id) for a different request.
 * The API answers 409: the client must pick a new key, or resend exactly the first request.
 */
export class ExperimentConflictError extends WlmError {
  override readonly name = 'ExperimentConflictError';

  constructor(
    readonly experimentId: string,
    readonly idempotencyKey: string | null,
  ) {
    super(
      'EXPERIMENT_CONFLICT',
      idempotencyKey === null
        ? `experiment ${experimentId} already exists with a different type, priority or inputs`
        : `idempotency key "${idempotencyKey}" was already used for experiment ${experimentId} ` +
            'with a different type, priority or inputs; use a new key for a new experiment',
    );
  }
}

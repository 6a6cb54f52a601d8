import { WlmError } from '@wlm/commons/errors';

/** A caller handed the state store a value it cannot store (a programming error, never retryable). */
export class StoreInputError extends WlmError {
  override readonly name = 'StoreInputError';

  constructor(
    /** The argument or field at fault, e.g. `taskRuns[3].attempt`. */
    readonly field: string,
    message: string,
  ) {
    super('STORE_INPUT_INVALID', `${field}: ${message}`);
  }
}

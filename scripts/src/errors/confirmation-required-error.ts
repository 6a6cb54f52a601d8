import { WlmError } from '@wlm/commons/errors';

/** A destructive command run without the flag that says the operator means it. */
export class ConfirmationRequiredError extends WlmError {
  override readonly name = 'ConfirmationRequiredError';

  constructor(message: string) {
    super('CONFIRMATION_REQUIRED', message);
  }
}

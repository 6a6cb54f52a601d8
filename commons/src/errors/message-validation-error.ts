import { WlmError } from './wlm-error';

/** A wire message failed its schema; `issues` are the human-readable problems, one per field. */
export class MessageValidationError extends WlmError {
  override readonly name = 'MessageValidationError';

  constructor(
    readonly messageType: string,
    readonly issues: readonly string[],
  ) {
    super('MESSAGE_INVALID', `invalid ${messageType}: ${issues.join('; ')}`);
  }
}

import { WlmError } from '@wlm/commons/errors';
import type { WlmErrorOptions } from '@wlm/commons/errors';

/** The schema could not be brought up to date; the orchestrator must not start on it. */
export class MigrationError extends WlmError {
  override readonly name = 'MigrationError';

  constructor(
    /** The migration at fault, when one is. */
    readonly version: number | undefined,
    message: string,
    options: WlmErrorOptions = {},
  ) {
    super('MIGRATION_FAILED', message, options);
  }
}

import { WlmError } from '@wlm/commons/errors';

/**
 * A row read from the database does not have the shape this orchestrator expects: the schema was
 * changed by hand, or a newer version wrote something this one cannot read.
 */
export class StoreDataError extends WlmError {
  override readonly name = 'StoreDataError';

  constructor(
    readonly table: string,
    readonly column: string,
    message: string,
  ) {
    super('STORE_DATA_INVALID', `${table}.${column}: ${message}`);
  }
}

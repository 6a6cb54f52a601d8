import { WlmError } from '@wlm/commons/errors';

/** The orchestrator answered with an error: its `{ error: { code, message } }`, kept whole. */
export class ApiRequestError extends WlmError {
  override readonly name = 'ApiRequestError';

  constructor(
    readonly status: number,
    /** The API's error code, e.g. `DAG_INVALID`, `EXPERIMENT_NOT_FOUND`. */
    readonly apiCode: string,
    message: string,
    /** The error object's other members, e.g. `problems` of an invalid DAG. */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super('API_REQUEST_FAILED', message, { retryable: status === 503 });
  }
}

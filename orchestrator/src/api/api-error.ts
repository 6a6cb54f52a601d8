/**
 * An error the API answers with as it is: `{ error: { code, message, ...details } }` with `status`.
 * Everything else reaching the error handler is mapped by its class, or becomes a 500 whose details
 * go to the log only.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra members of the error object, e.g. `field` or `problems`. */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/** 400 naming the field at fault. */
export function badRequest(field: string, message: string): ApiError {
  return new ApiError(400, 'BAD_REQUEST', `${field}: ${message}`, { field });
}

export { WlmError } from './wlm-error';
export type { WlmErrorCode, WlmErrorOptions } from './wlm-error';
export { ConfigError } from './config-error';
export { MessageValidationError } from './message-validation-error';
export { isRetryableError, withRetry } from './retry';
export type { RetryOptions } from './retry';

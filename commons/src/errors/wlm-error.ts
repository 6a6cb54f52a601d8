/** Stable, machine-readable error codes. Decide on these (or `instanceof`), never on message text. */
export type WlmErrorCode =
  | 'CONFIG_INVALID'
  | 'MESSAGE_INVALID'
  | 'DAG_INVALID'
  | 'TEMPLATE_UNRESOLVED'
  | 'AMQP_UNAVAILABLE'
  | 'AMQP_PUBLISH_FAILED'
  | 'TLS_REFUSED'
  | 'SERF_RPC_ERROR'
  | 'SERF_UNAVAILABLE'
  | 'SERF_AUTH_FAILED'
  | 'STACK_COMPONENT_FAILED'
  | 'STACK_LOCKED'
  | 'ADVERTISEMENT_TOO_LARGE'
  | 'EXPERIMENT_CONFLICT'
  | 'STORE_INPUT_INVALID'
  | 'STORE_DATA_INVALID'
  | 'MIGRATION_FAILED'
  | 'STORE_TIMEOUT'
  | 'EXPERIMENT_NOT_FOUND'
  | 'EXPERIMENT_STATE_INVALID'
  | 'EXPERIMENT_INPUT_INVALID'
  | 'DAG_NOT_FOUND'
  | 'API_UNREACHABLE'
  | 'API_REQUEST_FAILED'
  | 'API_ANSWER_INVALID'
  | 'SHUTTING_DOWN'
  | 'MAIL_SEND_FAILED'
  | 'RESOURCE_UNKNOWN'
  | 'RESOURCE_INVALID'
  | 'SSH_CONNECT_TIMEOUT'
  | 'SSH_CONNECT_REFUSED'
  | 'SSH_CONNECTION_LOST'
  | 'SSH_AUTH_REFUSED'
  | 'SSH_HOST_KEY_REJECTED'
  | 'SSH_HANDSHAKE_FAILED'
  | 'REMOTE_COMMAND_FAILED'
  | 'REMOTE_COMMAND_TIMEOUT'
  | 'REMOTE_OUTPUT_TOO_LARGE'
  | 'PLACEMENT_FENCE_UNAVAILABLE'
  | 'DEAD_LETTER_NOT_FOUND'
  | 'DEAD_LETTER_NOT_REPLAYABLE'
  | 'CONFIRMATION_REQUIRED'
  | 'PLUGIN_MODULE_INVALID'
  | 'PLUGIN_SCAFFOLD_FAILED';

export interface WlmErrorOptions {
  cause?: unknown;
  /** Whether repeating the same operation may succeed. */
  retryable?: boolean;
}

/** Base of every error wlm raises on purpose. The message is written for the person reading it. */
export class WlmError extends Error {
  override readonly name: string = 'WlmError';
  readonly code: WlmErrorCode;
  readonly retryable: boolean;

  constructor(code: WlmErrorCode, message: string, options: WlmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

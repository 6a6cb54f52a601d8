import { backOff } from 'exponential-backoff';
import { isTaskFailure } from './task-failure';
import { WlmError } from './wlm-error';

/**
 * Error codes of mysql2, neo4j-driver, amqplib and Node's sockets that mean "the server or the network
 * hiccupped; the same operation may succeed later". Everything else is treated as permanent.
 */
const RETRYABLE_ERROR_CODES = new Set<string>([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ServiceUnavailable',
  'SessionExpired',
]);

const NEO4J_TRANSIENT_PREFIX = 'Neo.TransientError.';

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error as { code: unknown };
  return typeof code === 'string' ? code : undefined;
}

function isFatalConnectionError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { fatal?: unknown }).fatal === true;
}

/** True when repeating the operation that raised `error` may succeed. */
export function isRetryableError(error: unknown): boolean {
  if (error instanceof WlmError || isTaskFailure(error)) return error.retryable;
  // mysql2 marks the errors of a connection that died `fatal`, some with no code at all ("Can't add
  // new command when connection is in closed state"): a new connection may well succeed.
  if (isFatalConnectionError(error)) return true;
  const code = errorCode(error);
  if (code === undefined) return false;
  return RETRYABLE_ERROR_CODES.has(code) || code.startsWith(NEO4J_TRANSIENT_PREFIX);
}

/** Connection-level failures of a database driver: the server is away, not the request at fault. */
const STORE_CONNECTION_CODES = new Set<string>([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'ServiceUnavailable',
  'SessionExpired',
]);

/** Stores that stop answering, as wlm reports them. */
const STORE_OUTAGE_WLM_CODES = new Set<string>(['STORE_TIMEOUT', 'PLACEMENT_FENCE_UNAVAILABLE']);

/**
 * True when `error` says a store (MySQL, Neo4j) cannot be reached or does not answer: whatever was
 * being handled is not at fault and waits for the store, however long its outage lasts. Consumers
 * do not count such a failure against a message's delivery limit.
 */
export function isStoreOutageError(error: unknown): boolean {
  if (error instanceof WlmError) return error.retryable && STORE_OUTAGE_WLM_CODES.has(error.code);
  if (isFatalConnectionError(error)) return true;
  const code = errorCode(error);
  return code !== undefined && STORE_CONNECTION_CODES.has(code);
}

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Defaults to {@link isRetryableError}. */
  isRetryable?: (error: unknown) => boolean;
  /** Called before each wait, e.g. to log the failure. */
  onRetry?: (error: unknown, attempt: number) => void;
  signal?: AbortSignal;
}

/** Runs `operation`, retrying retryable failures with capped exponential backoff and full jitter. */
export function withRetry<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const isRetryable = options.isRetryable ?? isRetryableError;
  return backOff(operation, {
    numOfAttempts: options.maxAttempts ?? 8,
    startingDelay: options.initialDelayMs ?? 100,
    maxDelay: options.maxDelayMs ?? 10_000,
    jitter: 'full',
    retry: (error: unknown, attempt: number) => {
      if (options.signal?.aborted || !isRetryable(error)) return false;
      options.onRetry?.(error, attempt);
      return true;
    },
  });
}

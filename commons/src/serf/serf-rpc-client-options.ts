import pino from 'pino';
import type { SerfUnavailableError } from '../errors';
import type { Logger } from '../logging';

/** Backoff between reconnect attempts: capped exponential with full jitter. */
export interface SerfReconnectOptions {
  /** Upper bound of the first wait. Default 100 ms. */
  initialDelayMs?: number;
  /** Cap on any wait. Default 5,000 ms. */
  maxDelayMs?: number;
  /** Attempts before giving up and closing the client. Default: never give up. */
  maxAttempts?: number;
}

/** Options of {@link SerfRpcClient.connect}. */
export interface SerfRpcClientOptions {
  /** The agent's RPC address, `host:port` (`[::1]:7373` for IPv6). */
  addr: string;
  /** The agent's `rpc_auth` key, when it has one. */
  authKey?: string;
  /** Where the client logs; defaults to a silent logger. */
  logger?: Logger;
  /** Reconnect after the connection drops (default), or `false` to close the client instead. */
  reconnect?: SerfReconnectOptions | false;
  /** TCP connect timeout. Default 5,000 ms. */
  connectTimeoutMs?: number;
  /** How long to wait for any answer. Default 15,000 ms. */
  requestTimeoutMs?: number;
}

/** Lifecycle of a client: `closed` is final. */
export type SerfRpcClientState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Typed events of a {@link SerfRpcClient}. */
export interface SerfRpcClientEvents {
  /** The connection dropped; requests fail with a retryable error until `reconnected`. */
  disconnected: [error: SerfUnavailableError];
  /** Connected, handshaken, authenticated and every stream re-subscribed again. */
  reconnected: [];
  /** Reconnecting stopped for good (attempts exhausted, or a permanent error such as a bad key). */
  'reconnect-failed': [error: unknown];
  /** The client is closed; fired once. */
  closed: [];
}

/** Filters of {@link SerfRpcClient.membersFiltered}; each is a Go regular expression matched whole. */
export interface SerfMembersFilter {
  /** Tag name → pattern its value must match; a missing tag matches as the empty string. */
  tags?: Record<string, string>;
  /** Pattern for the status, e.g. `alive` or `alive|leaving`. */
  status?: string;
  /** Pattern for the node name, e.g. `worker-.*`. */
  name?: string;
}

/** Options with every default applied. */
export interface CompiledSerfRpcClientOptions {
  addr: string;
  authKey: string | undefined;
  logger: Logger;
  reconnect: Required<SerfReconnectOptions> | false;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

/** Applies the defaults: loose options in, complete options out. */
export function compileSerfRpcClientOptions(options: SerfRpcClientOptions): CompiledSerfRpcClientOptions {
  const reconnect = options.reconnect ?? {};
  return {
    addr: options.addr,
    authKey: options.authKey === '' ? undefined : options.authKey,
    logger: (options.logger ?? pino({ level: 'silent' })).child({ serfAddr: options.addr }),
    reconnect:
      reconnect === false
        ? false
        : {
            initialDelayMs: reconnect.initialDelayMs ?? 100,
            maxDelayMs: reconnect.maxDelayMs ?? 5_000,
            maxAttempts: reconnect.maxAttempts ?? Number.POSITIVE_INFINITY,
          },
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
  };
}

/** What {@link SerfRpcClient.query} sends: which nodes answer, and for how long answers count. */
export interface SerfQueryOptions {
  /** Only these nodes answer (every node when left out). */
  readonly nodes?: readonly string[];
  /** Only nodes whose tags match these patterns (Go regular expressions) answer. */
  readonly tags?: Readonly<Record<string, string>>;
  /** How long the agent collects acks and responses, in ms. */
  readonly timeoutMs: number;
  /** Whether each node acknowledges receipt (default true). */
  readonly requestAck?: boolean;
  readonly payload?: Uint8Array | string;
}

/** What came back for a query within its timeout. */
export interface SerfQueryResult {
  /** The nodes that acknowledged it. */
  readonly acks: ReadonlySet<string>;
  /** Each answering node's response payload. */
  readonly responses: ReadonlyMap<string, Uint8Array>;
}

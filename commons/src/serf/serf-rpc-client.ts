import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import { SerfRpcError, SerfUnavailableError, isRetryableError } from '../errors';
import type { Logger } from '../logging';
import { describeIssues } from '../wire/issue-path';
import { SerfConnection } from './serf-connection';
import { compileSerfRpcClientOptions } from './serf-rpc-client-options';
import type {
  CompiledSerfRpcClientOptions,
  SerfMembersFilter,
  SerfQueryOptions,
  SerfQueryResult,
  SerfReconnectOptions,
  SerfRpcClientEvents,
  SerfRpcClientOptions,
  SerfRpcClientState,
} from './serf-rpc-client-options';
import { SerfEventStream } from './serf-event-stream';
import { compileEventFilter, toStreamEvent } from './serf-events';
import type { SerfEventFilter } from './serf-events';
import { toSerfMember } from './serf-member';
import type { SerfMember } from './serf-member';
import {
  SERF_IPC_VERSION,
  goRegexpProblem,
  joinResponseSchema,
  membersResponseSchema,
  statsResponseSchema,
  wireQueryRecordSchema,
  wireStreamRecordSchema,
} from './serf-protocol';
import type { SerfCommand, SerfRequestBodies } from './serf-protocol';

/**
 * A typed client for a Serf agent's RPC port (protocol version 1).
 *
 * Requests may be issued concurrently. While the connection is down, requests fail at once with a
 * retryable {@link SerfUnavailableError} (wrap them in `withRetry` where waiting is right) and the
 * client reconnects in the background, redoing the handshake and auth and re-subscribing every
 * stream before it emits `reconnected`.
 *
 * @example
 * ```ts
 * const serf = await SerfRpcClient.connect({ addr: '127.0.0.1:7373', logger });
 * const stream = await serf.stream(['member-join', 'member-failed']);
 * stream.on('member-failed', ({ members }) => registry.markFailed(members.map((m) => m.name)));
 * serf.on('reconnected', () => void serf.members().then(registry.resync));
 * await serf.tags({ set: { tasks: 'echo,env-setup', slots: '4' } });
 * ```
 */
export class SerfRpcClient extends EventEmitter<SerfRpcClientEvents> {
  private currentState: SerfRpcClientState = 'connecting';
  private connection: SerfConnection | undefined;
  /** Active streams and their Seq on the current connection (undefined while disconnected). */
  private readonly streams = new Map<SerfEventStream, { seq: number | undefined }>();
  private leaving = false;
  private closing: Promise<void> | undefined;
  private wakeFromBackoff: (() => void) | undefined;
  private readonly log: Logger;

  private constructor(private readonly options: CompiledSerfRpcClientOptions) {
    super();
    this.log = options.logger;
  }

  /**
   * Connects to the agent, performs the handshake and, with `authKey`, authenticates. Rejects with
   * {@link SerfUnavailableError} when the agent cannot be reached and with {@link SerfRpcError}
   * (code `SERF_AUTH_FAILED`) when the key is wrong. The initial connect is not retried: wrap it in
   * `withRetry` to wait for an agent that is still starting.
   */
  static async connect(options: SerfRpcClientOptions): Promise<SerfRpcClient> {
    const client = new SerfRpcClient(compileSerfRpcClientOptions(options));
    try {
      await client.establish();
    } catch (error) {
      await client.close();
      throw error;
    }
    client.currentState = 'connected';
    client.log.debug('serf rpc connected');
    return client;
  }

  /** Where the client is in its lifecycle. */
  get state(): SerfRpcClientState {
    return this.currentState;
  }

  /** Every member the agent knows, including failed and left ones until they are reaped. */
  async members(): Promise<SerfMember[]> {
    const body = parse(membersResponseSchema, 'members', await this.call('members', undefined));
    return (body.Members ?? []).map(toSerfMember);
  }

  /** Members matching every given filter (Go regular expressions, anchored at both ends). */
  async membersFiltered(filter: SerfMembersFilter): Promise<SerfMember[]> {
    const patterns: [string, string][] = Object.entries(filter.tags ?? {}).map(([k, v]) => [`tag ${k}`, v]);
    if (filter.status !== undefined) patterns.push(['status', filter.status]);
    if (filter.name !== undefined) patterns.push(['name', filter.name]);
    for (const [what, pattern] of patterns) {
      const problem = goRegexpProblem(pattern);
      if (problem !== undefined) {
        throw new SerfRpcError(
          'members-filtered',
          'invalid-request',
          `${what} pattern '${pattern}': ${problem}`,
        );
      }
    }
    const request = { Tags: filter.tags ?? {}, Status: filter.status ?? '', Name: filter.name ?? '' };
    const body = parse(
      membersResponseSchema,
      'members-filtered',
      await this.call('members-filtered', request),
    );
    return (body.Members ?? []).map(toSerfMember);
  }

  /**
   * Changes this agent's tags: `set` adds or replaces, `delete` removes; other tags stay. Gossip
   * carries the change to other members in about a second. Rejects with kind `tags-too-large` past
   * Serf's 512-byte limit.
   */
  async tags(change: { set?: Record<string, string>; delete?: readonly string[] }): Promise<void> {
    await this.call('tags', { Tags: change.set ?? {}, DeleteTags: [...(change.delete ?? [])] });
  }

  /**
   * Asks the agent to join the cluster through `addrs` (gossip `host:port`s). Resolves with how many
   * it reached; rejects (retryably) when it reached none. `replay` replays past user events.
   */
  async join(addrs: readonly string[], options: { replay?: boolean } = {}): Promise<number> {
    const request = { Existing: [...addrs], Replay: options.replay ?? false };
    return parse(joinResponseSchema, 'join', await this.call('join', request)).Num;
  }

  /**
   * Makes the agent leave the cluster gracefully and shut down. The agent goes away, so the client
   * closes itself afterwards.
   */
  async leave(): Promise<void> {
    this.leaving = true;
    try {
      await this.call('leave', undefined);
    } finally {
      await this.close();
    }
  }

  /**
   * Fires a user event across the cluster. Without `coalesce: true` every event is delivered (Serf
   * would otherwise keep only the latest of a name within its coalescing window). Serf limits name
   * plus payload to about 512 bytes.
   */
  async event(
    name: string,
    payload: Uint8Array | string = '',
    options: { coalesce?: boolean } = {},
  ): Promise<void> {
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    await this.call('event', { Name: name, Payload: bytes, Coalesce: options.coalesce ?? false });
  }

  /** Moves a failed node to `left` at once, instead of waiting for Serf to reap it. */
  async forceLeave(node: string): Promise<void> {
    await this.call('force-leave', { Node: node });
  }

  /** The agent's diagnostics: sections `agent`, `runtime`, `serf`, `tags`, … of string values. */
  async stats(): Promise<Record<string, Record<string, string>>> {
    return parse(statsResponseSchema, 'stats', await this.call('stats', undefined));
  }

  /**
   * Subscribes to events (default: all member and user events). The stream survives reconnects;
   * call `stop()` on it to unsubscribe.
   */
  async stream(filter: SerfEventFilter | readonly SerfEventFilter[] = '*'): Promise<SerfEventStream> {
    const stream = new SerfEventStream(compileEventFilter(filter), (s) => this.stopStream(s));
    const connection = this.requireConnection();
    const seq = await connection.openStream(
      'stream',
      { Type: stream.filter },
      (r) => this.onRecord(stream, r),
      this.options.requestTimeoutMs,
    );
    this.streams.set(stream, { seq });
    return stream;
  }

  /**
   * Sends a query to the nodes `options` selects and collects, until its timeout, which of them
   * acknowledged it and what they answered. An ack comes from the node's agent itself, with no
   * handler involved: a query with acks is a direct check that a node is reachable right now.
   */
  query(name: string, options: SerfQueryOptions): Promise<SerfQueryResult> {
    let connection: SerfConnection;
    try {
      connection = this.requireConnection();
    } catch (error) {
      return Promise.reject(error);
    }
    const payload = options.payload ?? '';
    const body = {
      FilterNodes: [...(options.nodes ?? [])],
      FilterTags: { ...options.tags },
      RequestAck: options.requestAck ?? true,
      RelayFactor: 0,
      Timeout: options.timeoutMs * 1_000_000,
      Name: name,
      Payload: typeof payload === 'string' ? new TextEncoder().encode(payload) : payload,
    };
    const acks = new Set<string>();
    const responses = new Map<string, Uint8Array>();
    return new Promise((resolve, reject) => {
      let seq: number | undefined;
      let ended = false;
      const end = (): void => {
        ended = true;
        clearTimeout(timer);
        if (seq !== undefined) connection.forgetStream(seq);
      };
      // The agent ends every query with `done`; one that never comes (the agent stuck) fails here.
      const timer = setTimeout(() => {
        end();
        reject(new SerfUnavailableError(this.options.addr, `query '${name}' never ended`));
      }, options.timeoutMs + this.options.requestTimeoutMs);
      const onRecord = (raw: unknown): void => {
        const record = wireQueryRecordSchema.safeParse(raw);
        if (!record.success) {
          this.log.warn({ issues: record.error.issues }, 'serf query record not understood; dropped');
          return;
        }
        const { Type, From, Payload } = record.data;
        // An agent whose query hits its deadline closes its ack and response channels and may read
        // them once more before it sends `done`: that record names no node (seen on a loaded host).
        if (Type !== 'done' && From === '') return;
        if (Type === 'ack') acks.add(From);
        else if (Type === 'response') responses.set(From, Payload ?? new Uint8Array());
        else {
          end();
          resolve({ acks, responses });
        }
      };
      // A connection closed or lost first never sends `done`: the query fails at once, rather than
      // hold the process up to its timer (a service stopping while its liveness probe asks).
      const onEnd = (error: Error): void => {
        end();
        reject(error);
      };
      connection.openStream('query', body, onRecord, this.options.requestTimeoutMs, onEnd).then(
        (assigned) => {
          seq = assigned;
          if (ended) connection.forgetStream(assigned);
        },
        (error: unknown) => {
          end();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /**
   * Closes the connection, ends every stream and stops reconnecting. Idempotent: later calls return
   * the same promise. Requests still waiting fail with a non-retryable {@link SerfUnavailableError}.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---- internals ----

  private async shutdown(): Promise<void> {
    this.currentState = 'closed';
    this.wakeFromBackoff?.();
    const connection = this.connection;
    this.connection = undefined;
    // Closing the socket also ends the streams at the agent, so no `stop` is needed.
    connection?.close();
    for (const stream of this.streams.keys()) stream.end();
    this.streams.clear();
    this.emit('closed');
  }

  /** Opens a connection, handshakes, authenticates and re-subscribes every stream. */
  private async establish(): Promise<void> {
    const { addr, connectTimeoutMs, requestTimeoutMs: timeout } = this.options;
    const connection: SerfConnection = await SerfConnection.open({
      addr,
      connectTimeoutMs,
      logger: this.log,
      onClose: (error) => this.onConnectionClosed(connection, error),
    });
    try {
      await connection.request('handshake', { Version: SERF_IPC_VERSION }, timeout);
      if (this.options.authKey !== undefined) {
        await connection.request('auth', { AuthKey: this.options.authKey }, timeout);
      }
      for (const [stream, entry] of this.streams) {
        entry.seq = await connection.openStream(
          'stream',
          { Type: stream.filter },
          (r) => this.onRecord(stream, r),
          timeout,
        );
      }
    } catch (error) {
      connection.close();
      throw error;
    }
    if (this.currentState === 'closed') {
      connection.close();
      throw new SerfUnavailableError(addr, 'Serf RPC client closed', { closed: true });
    }
    this.connection = connection;
  }

  private onConnectionClosed(connection: SerfConnection, error: SerfUnavailableError): void {
    // Connections that never became current (a failed attempt) or were replaced are not our concern.
    if (connection !== this.connection) return;
    this.connection = undefined;
    for (const entry of this.streams.values()) entry.seq = undefined;
    if (this.currentState === 'closed') return;
    if (this.leaving) {
      void this.close();
      return;
    }
    this.log.warn({ err: error }, 'serf rpc connection lost');
    this.emit('disconnected', error);
    if (this.options.reconnect === false) {
      void this.close();
      return;
    }
    this.currentState = 'reconnecting';
    void this.reconnect(this.options.reconnect);
  }

  /** Retries {@link establish} with capped exponential backoff and full jitter, as `withRetry` does,
   * but with a wait that {@link close} can cut short so no timer outlives the client. */
  private async reconnect(policy: Required<SerfReconnectOptions>): Promise<void> {
    for (let attempt = 1; this.currentState === 'reconnecting'; attempt += 1) {
      try {
        await this.establish();
        this.currentState = 'connected';
        this.log.info({ attempt }, 'serf rpc reconnected');
        this.emit('reconnected');
        return;
      } catch (error) {
        if (this.currentState !== 'reconnecting') return;
        if (!isRetryableError(error) || attempt >= policy.maxAttempts) {
          this.log.error({ err: error, attempt }, 'serf rpc reconnect gave up');
          this.emit('reconnect-failed', error);
          await this.close();
          return;
        }
        const delayMs =
          Math.random() * Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
        this.log.debug(
          { err: error, attempt, delayMs: Math.round(delayMs) },
          'serf rpc reconnect failed; retrying',
        );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs);
          this.wakeFromBackoff = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeFromBackoff = undefined;
      }
    }
  }

  private async stopStream(stream: SerfEventStream): Promise<void> {
    const entry = this.streams.get(stream);
    this.streams.delete(stream);
    if (entry?.seq === undefined || this.connection === undefined) return;
    try {
      await this.connection.stopStream(entry.seq, this.options.requestTimeoutMs);
    } catch (error) {
      // A dropped connection ended the stream at the agent already.
      if (!(error instanceof SerfUnavailableError)) throw error;
    }
  }

  private onRecord(stream: SerfEventStream, raw: unknown): void {
    const record = wireStreamRecordSchema.safeParse(raw);
    if (!record.success) {
      this.log.warn({ issues: record.error.issues }, 'serf stream record not understood; dropped');
      return;
    }
    try {
      stream.deliver(toStreamEvent(record.data));
    } catch (error) {
      // A throwing listener must not break the socket reader that called us.
      this.log.error({ err: error }, 'serf stream listener threw');
    }
  }

  private requireConnection(): SerfConnection {
    if (this.connection !== undefined) return this.connection;
    const closed = this.currentState === 'closed';
    const message = closed
      ? 'Serf RPC client closed'
      : `Serf agent at ${this.options.addr} unreachable; reconnecting`;
    throw new SerfUnavailableError(this.options.addr, message, { closed });
  }

  private call<C extends SerfCommand>(command: C, body: SerfRequestBodies[C]): Promise<unknown> {
    try {
      return this.requireConnection().request(command, body, this.options.requestTimeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

function parse<T>(schema: z.ZodType<T>, command: SerfCommand, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const detail = describeIssues(result.error.issues);
  throw new SerfRpcError(command, 'malformed-response', `unexpected answer: ${detail}`, {
    cause: result.error,
  });
}

import net from 'node:net';
import { decodeMultiStream, encode } from '@msgpack/msgpack';
import { ConfigError, SerfRpcError, SerfUnavailableError } from '../errors';
import type { Logger } from '../logging';
import {
  isResponseHeader,
  isSerfCommand,
  responseHeaderSchema,
  responseShape,
  serfErrorKind,
} from './serf-protocol';
import type { ResponseHeader, SerfCommand, SerfRequestBodies } from './serf-protocol';

/** Where and how to open one RPC connection. */
export interface SerfConnectionOptions {
  /** `host:port`; IPv6 hosts in brackets, `[::1]:7373`. */
  addr: string;
  connectTimeoutMs: number;
  logger: Logger;
  /** Called once when the connection ends, whatever the reason; `error.closed` when we closed it. */
  onClose: (error: SerfUnavailableError) => void;
}

interface PendingRequest {
  command: SerfCommand;
  /** Set when the caller already had its answer (a timeout); the response must still be consumed. */
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  resolve: (body: unknown) => void;
  reject: (error: Error) => void;
}

interface StreamSlot {
  /** Whether the body-less ack has arrived; every later header for this Seq carries one record. */
  acked: boolean;
  /** Replaced by a no-op on stop: records already in flight must still be read off the socket. */
  onRecord: (record: unknown) => void;
  /** Told when the connection ends with the stream still open: no more records will come. */
  onEnd: ((error: SerfUnavailableError) => void) | undefined;
}

/** Splits `host:port` (or `[v6]:port`) into its parts. */
export function parseSerfAddr(addr: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(addr);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(
      'serf.rpcAddr',
      `invalid Serf RPC address '${addr}': expected host:port, e.g. 127.0.0.1:7373`,
    );
  }
  return { host, port };
}

/**
 * One TCP connection to a Serf agent's RPC port: writes requests, reads the unframed msgpack answer
 * stream, and routes each answer to the request or stream its Seq belongs to. It knows nothing of
 * handshakes or reconnecting; {@link SerfRpcClient} builds on it.
 */
export class SerfConnection {
  private seq = 0;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly streams = new Map<number, StreamSlot>();
  /** Set after a header whose body comes next: the next decoded object goes here. */
  private bodyTarget: ((body: unknown) => void) | undefined;
  /** Set after a header whose body is optional: a following non-header object is discarded. */
  private maybeBody = false;
  private closeError: SerfUnavailableError | undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly options: SerfConnectionOptions,
  ) {
    socket.setNoDelay(true);
    // The agent may vanish without a FIN (host crash, network cut); keepalive notices that.
    socket.setKeepAlive(true, 10_000);
    socket.on('error', (error) => this.fail(this.unavailable(`connection to Serf agent failed`, error)));
    socket.on('close', () => this.fail(this.unavailable('connection closed by the Serf agent')));
    void this.readLoop();
  }

  /** Opens a TCP connection to the agent; rejects with a retryable {@link SerfUnavailableError}. */
  static open(options: SerfConnectionOptions): Promise<SerfConnection> {
    const { host, port } = parseSerfAddr(options.addr);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new SerfUnavailableError(
            options.addr,
            `no answer from Serf agent at ${options.addr} within ${options.connectTimeoutMs} ms`,
          ),
        );
      }, options.connectTimeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(
          new SerfUnavailableError(
            options.addr,
            `cannot reach Serf agent at ${options.addr}: ${error.message}`,
            { cause: error },
          ),
        );
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new SerfConnection(socket, options));
      });
    });
  }

  /** Whether the connection has ended. */
  get isClosed(): boolean {
    return this.closeError !== undefined;
  }

  /**
   * Sends one request and resolves with its response body (`undefined` for header-only answers).
   * Rejects with {@link SerfRpcError} when the agent reports an error, {@link SerfUnavailableError}
   * when the connection ends first or no answer comes within `timeoutMs`.
   */
  request<C extends SerfCommand>(
    command: C,
    body: SerfRequestBodies[C],
    timeoutMs: number,
  ): Promise<unknown> {
    return this.send(command, body, timeoutMs);
  }

  /**
   * Starts a request whose answer is a stream of records — `stream` (events; `filter` in Serf's
   * syntax, already validated) or `query` (acks and responses, then `done`). Resolves with its Seq
   * once the agent acknowledged it; `onRecord` then receives every raw record, and `onEnd` is told
   * if the connection ends (closed or lost) while the stream is open.
   */
  async openStream<C extends 'stream' | 'query'>(
    command: C,
    body: SerfRequestBodies[C],
    onRecord: (record: unknown) => void,
    timeoutMs: number,
    onEnd?: (error: SerfUnavailableError) => void,
  ): Promise<number> {
    let seq = 0;
    try {
      await this.send(command, body, timeoutMs, (assigned) => {
        seq = assigned;
        this.streams.set(assigned, { acked: false, onRecord, onEnd });
      });
      return seq;
    } catch (error) {
      const slot = this.streams.get(seq);
      // A late ack after a timeout would start the stream anyway: make its records vanish.
      if (slot !== undefined) slot.onRecord = () => undefined;
      throw error;
    }
  }

  /** Forgets a stream the agent ended itself (a query after its `done`). */
  forgetStream(seq: number): void {
    this.streams.delete(seq);
  }

  /** Ends a stream. Records already in flight are read and dropped, so the connection stays in step. */
  async stopStream(seq: number, timeoutMs: number): Promise<void> {
    const slot = this.streams.get(seq);
    if (slot === undefined) return;
    slot.onRecord = () => undefined;
    await this.send('stop', { Stop: seq }, timeoutMs);
  }

  /** Closes the socket; pending requests fail with a non-retryable {@link SerfUnavailableError}. */
  close(): void {
    this.fail(new SerfUnavailableError(this.options.addr, 'Serf RPC client closed', { closed: true }));
  }

  private send<C extends SerfCommand>(
    command: C,
    body: SerfRequestBodies[C],
    timeoutMs: number,
    beforeWrite?: (seq: number) => void,
  ): Promise<unknown> {
    // Types already forbid it; this guards plain-JS callers, since the agent hangs up on an unknown command.
    if (!isSerfCommand(command)) {
      return Promise.reject(
        new SerfRpcError(
          command,
          'invalid-request',
          `unknown command '${String(command)}' refused by the client`,
        ),
      );
    }
    if (this.closeError !== undefined) return Promise.reject(this.closeError);
    const seq = ++this.seq;
    const header = encode({ Command: command, Seq: seq });
    const frame =
      body === undefined ? header : Buffer.concat([header, encode(body, { ignoreUndefined: true })]);
    return new Promise((resolve, reject) => {
      const entry: PendingRequest = { command, settled: false, timer: undefined, resolve, reject };
      entry.timer = setTimeout(() => {
        entry.settled = true;
        reject(this.unavailable(`no answer to '${command}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(seq, entry);
      beforeWrite?.(seq);
      // One write per request keeps header and body adjacent on the socket.
      this.socket.write(frame);
      this.options.logger.trace({ command, seq }, 'serf rpc request');
    });
  }

  private async readLoop(): Promise<void> {
    try {
      for await (const value of decodeMultiStream(this.socket)) {
        if (this.closeError !== undefined) return;
        this.onValue(value);
      }
      this.fail(this.unavailable('connection closed by the Serf agent'));
    } catch (error) {
      this.fail(this.unavailable('connection to Serf agent failed', error));
    }
  }

  private onValue(value: unknown): void {
    const target = this.bodyTarget;
    if (target !== undefined) {
      this.bodyTarget = undefined;
      target(value);
      return;
    }
    if (this.maybeBody) {
      this.maybeBody = false;
      if (!isResponseHeader(value)) return;
    }
    const header = responseHeaderSchema.safeParse(value);
    if (!header.success) {
      // We no longer know where messages start: only a new connection can recover.
      this.fail(this.unavailable('Serf agent sent data out of step with the protocol; reconnecting'));
      return;
    }
    this.onHeader(header.data);
  }

  private onHeader(header: ResponseHeader): void {
    const stream = this.streams.get(header.Seq);
    if (stream?.acked === true) {
      if (header.Error === '') this.bodyTarget = (record) => stream.onRecord(record);
      else
        this.options.logger.warn({ seq: header.Seq, error: header.Error }, 'serf stream reported an error');
      return;
    }
    const request = this.pending.get(header.Seq);
    if (request === undefined) {
      // An agent without our auth key answers a request with a body twice (it reads the body as the
      // next header); the second answer names a Seq that is already settled and carries no body.
      this.options.logger.debug(
        { seq: header.Seq, error: header.Error },
        'serf answer for no pending request',
      );
      return;
    }
    this.pending.delete(header.Seq);
    if (stream !== undefined) {
      if (header.Error === '') stream.acked = true;
      else this.streams.delete(header.Seq);
    }
    const shape = responseShape(request.command, header.Error);
    if (shape === 'body') {
      this.bodyTarget = (body) => this.settle(request, header.Error, body);
      return;
    }
    this.maybeBody = shape === 'optional';
    this.settle(request, header.Error, undefined);
  }

  private settle(request: PendingRequest, error: string, body: unknown): void {
    clearTimeout(request.timer);
    if (request.settled) return;
    request.settled = true;
    if (error === '') request.resolve(body);
    else request.reject(new SerfRpcError(request.command, serfErrorKind(error), error));
  }

  private fail(error: SerfUnavailableError): void {
    if (this.closeError !== undefined) return;
    this.closeError = error;
    this.socket.destroy();
    for (const request of this.pending.values()) {
      clearTimeout(request.timer);
      if (!request.settled) request.reject(error);
    }
    this.pending.clear();
    const open = [...this.streams.values()];
    this.streams.clear();
    for (const stream of open) stream.onEnd?.(error);
    this.options.onClose(error);
  }

  private unavailable(message: string, cause?: unknown): SerfUnavailableError {
    return new SerfUnavailableError(this.options.addr, `${message} (${this.options.addr})`, { cause });
  }
}

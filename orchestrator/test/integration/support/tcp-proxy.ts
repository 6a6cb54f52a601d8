import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
}

/**
 * A TCP proxy in front of a server of the local stack, so that a test can make that server
 * unreachable for one orchestrator (`down`: every connection cut, new ones refused), or silent
 * (`silence`: connections stay open but nothing gets through, as behind a network partition or in
 * front of a hung server) — without touching the server other tests share.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<Pair>();
  private silent = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** A proxy (not yet up) in front of the server `url` names: its host and port, or `defaultPort`. */
  static inFrontOf(url: string, defaultPort: number): TcpProxy {
    const target = new URL(url);
    return new TcpProxy(target.hostname, Number(target.port || defaultPort));
  }

  /** Starts listening (on a free port the first time, on the same port afterwards). */
  async up(): Promise<void> {
    this.silent = false;
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Refuses new connections and cuts every open one. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream?.destroy();
    }
    this.pairs.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Stops forwarding without closing anything: bytes already on their way are held back, a side
   * that closes is not told to the other, and new connections are accepted but never reach the
   * server. Both ends see a silent peer. `down()` ends it.
   */
  silence(): void {
    this.silent = true;
    for (const { client, upstream } of this.pairs) {
      client.unpipe();
      upstream?.unpipe();
      client.pause();
      upstream?.pause();
    }
  }

  /** `url` with its host and port replaced by the proxy's. */
  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    const pair: Pair = { client, upstream: undefined };
    this.pairs.add(pair);
    client.on('close', () => {
      if (this.silent) return;
      pair.upstream?.destroy();
      this.pairs.delete(pair);
    });
    if (this.silent) {
      client.pause();
      return;
    }
    const upstream = connect(this.targetPort, this.targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.on('close', () => {
      if (!this.silent) client.destroy();
    });
    client.pipe(upstream).pipe(client);
  }
}

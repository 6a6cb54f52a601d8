import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

/**
 * Forwards TCP connections from `listenHost` (an address the lab's hosts reach) to a server of this
 * machine that listens on loopback only — RabbitMQ of the local stack, say. Closing it cuts every
 * connection it carries.
 */
export class TcpForwarder {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private port = 0;

  private constructor(
    readonly host: string,
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = createServer((client) => this.forward(client));
  }

  static async start(listenHost: string, targetHost: string, targetPort: number): Promise<TcpForwarder> {
    const forwarder = new TcpForwarder(listenHost, targetHost, targetPort);
    await new Promise<void>((resolve, reject) => {
      forwarder.server.once('error', reject);
      forwarder.server.listen(0, listenHost, () => resolve());
    });
    forwarder.port = (forwarder.server.address() as AddressInfo).port;
    return forwarder;
  }

  /** `host:port` the lab's hosts connect to. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket): void {
    const upstream = connect(this.targetPort, this.targetHost);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => {
        this.sockets.delete(socket);
        // One side gone ends the other: the peer sees the connection close, as it would directly.
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }
}

import net from 'node:net';
import { decodeMultiStream, encode } from '@msgpack/msgpack';

/** A request as the fake agent decoded it. */
export interface FakeRequest {
  command: string;
  seq: number;
  body: unknown;
}

/** One client connection of the fake agent, to answer on. */
export interface FakeClient {
  /** Writes each object as one msgpack value, all in one write. */
  send(...objects: unknown[]): void;
  /** Writes raw bytes, e.g. captured from a real agent. */
  write(bytes: Uint8Array): void;
  destroy(): void;
}

/** Commands the real agent reads no body for (ipc.go); every other command has one. */
const BODYLESS = new Set(['members', 'leave', 'stats']);

/**
 * An in-process stand-in for a Serf agent's RPC port, for the parts of the protocol a real agent
 * cannot be made to do on cue (answer late, out of order, twice, or garbled). It decodes requests
 * exactly as ipc.go does and hands them to `onRequest`; by default it acks handshake and auth.
 */
export class FakeSerfAgent {
  readonly requests: FakeRequest[] = [];
  readonly clients = new Set<net.Socket>();
  private readonly server = net.createServer((socket) => this.accept(socket));

  constructor(private readonly onRequest: (request: FakeRequest, client: FakeClient) => void) {}

  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    return address.port;
  }

  /** Closes the listener and every client connection. */
  async close(): Promise<void> {
    for (const socket of this.clients) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.clients.add(socket);
    socket.on('close', () => this.clients.delete(socket));
    socket.on('error', () => undefined);
    const client: FakeClient = {
      send: (...objects) => socket.write(Buffer.concat(objects.map((o) => encode(o)))),
      write: (bytes) => socket.write(bytes),
      destroy: () => socket.destroy(),
    };
    void (async () => {
      let header: { Command: string; Seq: number } | undefined;
      try {
        for await (const value of decodeMultiStream(socket)) {
          if (header === undefined) {
            header = value as { Command: string; Seq: number };
            if (!BODYLESS.has(header.Command)) continue;
            this.handle({ command: header.Command, seq: header.Seq, body: undefined }, client);
          } else {
            this.handle({ command: header.Command, seq: header.Seq, body: value }, client);
          }
          header = undefined;
        }
      } catch {
        // The client went away; nothing to do.
      }
    })();
  }

  private handle(request: FakeRequest, client: FakeClient): void {
    this.requests.push(request);
    this.onRequest(request, client);
  }
}

/** Acks handshake and auth like a healthy agent; returns false for other commands. */
export function ackSession(request: FakeRequest, client: FakeClient): boolean {
  if (request.command !== 'handshake' && request.command !== 'auth') return false;
  client.send({ Seq: request.seq, Error: '' });
  return true;
}

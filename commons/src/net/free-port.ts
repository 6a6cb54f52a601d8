import dgram from 'node:dgram';
import net from 'node:net';

/**
 * A port on `host` that is free now for TCP, and for UDP too when `udp` (Serf gossip needs both on
 * one port). Another process may still take it before it is used; callers retry on "address in use".
 */
export async function freePort(host: string, udp: boolean): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const port = await freeTcpPort(host);
    if (!udp || (await udpFree(host, port))) return port;
  }
  throw new Error(`no free ${udp ? 'TCP+UDP' : 'TCP'} port found on ${host}`);
}

function freeTcpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

/** True once something accepts TCP connections on `host:port`. */
export function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

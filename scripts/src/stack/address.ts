import { formatHostPort } from '@wlm/commons/net';
import type { HostPort } from '@wlm/commons/net';
import type { Endpoint } from './types';

/** Host and port of a server URL (`amqp://…@127.0.0.1:5672`), with the protocol's port when omitted. */
export function hostPortOfUrl(url: string, defaultPort: number): HostPort {
  const parsed = new URL(url);
  // URL keeps IPv6 hosts in brackets; sockets want them bare.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: parsed.port === '' ? defaultPort : Number(parsed.port) };
}

/** `host:port` for a TCP address, the path for a Unix socket. */
export function formatEndpoint(endpoint: Endpoint): string {
  return 'path' in endpoint ? endpoint.path : formatHostPort(endpoint);
}

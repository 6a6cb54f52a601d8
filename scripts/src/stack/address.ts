import { formatHostPort } from '@wlm/commons/net';
import type { HostPort } from '@wlm/commons/net';
import type { Endpoint } from './types';

/** Parses `host:port` as the config writes it (`127.0.0.1:7373`). */
export function parseHostPort(value: string): HostPort {
  const colon = value.lastIndexOf(':');
  const port = Number(value.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`expected host:port, got ${value}`);
  }
  return { host: value.slice(0, colon), port };
}

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

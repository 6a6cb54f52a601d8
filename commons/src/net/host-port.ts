/** A TCP address: a host name or an IP address, and a port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `host:port`, with an IPv6 host in brackets (`[::1]:80`) so its colons are not read as the port's. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

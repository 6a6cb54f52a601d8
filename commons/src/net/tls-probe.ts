import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { isTlsRefusal } from '../errors/server-tls-error';

export interface TlsProbeTarget {
  host: string;
  port: number;
  /** PEM of the CA to check the certificate against; default the system's CAs. */
  ca?: string;
}

/**
 * Why TLS refuses the server's certificate at `host:port` (the CA or the host name), or undefined when
 * it does not: it accepts it, or the server cannot be reached, which is not a certificate's fault.
 * For drivers that turn the TLS error into text of their own (neo4j-driver), so a refusal can be told
 * from an outage.
 */
export function probeTlsRefusal(target: TlsProbeTarget, timeoutMs = 5000): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const socket = connect({
      host: target.host,
      port: target.port,
      ...(target.ca === undefined ? {} : { ca: target.ca }),
      // SNI takes host names only; an IP address is still checked against the certificate.
      ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
    });
    const done = (refusal: Error | undefined): void => {
      socket.destroy();
      resolve(refusal);
    };
    socket.once('secureConnect', () => done(undefined));
    socket.once('error', (error) => done(isTlsRefusal(error) ? error : undefined));
    socket.setTimeout(timeoutMs, () => done(undefined));
  });
}

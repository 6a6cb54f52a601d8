import { readPemFile } from '@wlm/commons/config';
import { ConfigError, ServerTlsError } from '@wlm/commons/errors';
import { probeTlsRefusal } from '@wlm/commons/net';
import type { Config } from 'neo4j-driver';

/** What neo4j-driver is given for `neo4j.url` and `neo4j.caFile`. */
export interface Neo4jDriverTarget {
  url: string;
  /** The driver's encryption settings; empty when the URL's scheme says it all. */
  encryption: Pick<Config, 'encrypted' | 'trust' | 'trustedCertificates'>;
  /** The CA's PEM when `caFile` is set, to tell a refused certificate from an outage. */
  caPem: string | undefined;
}

const VERIFIED_TLS = /^(bolt|neo4j)\+s:\/\//;

/**
 * `bolt+s://` and `neo4j+s://` check the certificate against the system's CAs. neo4j-driver takes a
 * CA of one's own only as settings, and refuses settings beside a `+s` scheme: so with `caFile` the
 * URL goes to the driver as `bolt://` (`neo4j://`) with encryption on and that CA as the only trust.
 */
export function neo4jDriverTarget(url: string, caFile: string | undefined): Neo4jDriverTarget {
  if (caFile === undefined) return { url, encryption: {}, caPem: undefined };
  if (!VERIFIED_TLS.test(url)) {
    throw new ConfigError('neo4j.caFile', 'neo4j.caFile needs a bolt+s:// or neo4j+s:// URL in neo4j.url');
  }
  const caPem = readPemFile('neo4j.caFile', caFile);
  return {
    url: url.replace('+s://', '://'),
    encryption: {
      encrypted: 'ENCRYPTION_ON',
      trust: 'TRUST_CUSTOM_CA_SIGNED_CERTIFICATES',
      trustedCertificates: [caFile],
    },
    caPem,
  };
}

/**
 * For a URL whose certificate is checked: the error naming Neo4j and `neo4j.caFile` when TLS refuses
 * the server's certificate. neo4j-driver reports that only as text, as it reports an outage.
 */
export async function neo4jTlsRefusal(
  url: string,
  caPem: string | undefined,
): Promise<ServerTlsError | undefined> {
  if (!VERIFIED_TLS.test(url)) return undefined;
  const { hostname, port } = new URL(url);
  const target = { host: hostname.replace(/^\[(.*)\]$/, '$1'), port: port === '' ? 7687 : Number(port) };
  const refusal = await probeTlsRefusal(caPem === undefined ? target : { ...target, ca: caPem });
  return refusal === undefined
    ? undefined
    : new ServerTlsError('Neo4j', `${target.host}:${target.port}`, 'neo4j.caFile', refusal);
}

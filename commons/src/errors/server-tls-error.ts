import { messageOf } from './message-of';
import { WlmError } from './wlm-error';

/**
 * Node's codes for a server certificate TLS refused (a CA not trusted, a name that does not match, a
 * certificate out of its dates), and mysql2's for a failed TLS handshake. Retrying cannot help.
 */
const TLS_REFUSAL_CODES = new Set<string>([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HANDSHAKE_SSL_ERROR',
]);

/** True when `error` (or an error it was caused by) is TLS refusing the server's certificate. */
export function isTlsRefusal(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && TLS_REFUSAL_CODES.has(code)) return true;
    current = cause;
  }
  return false;
}

/**
 * TLS to a server failed: its certificate is not signed by the CA given (or the system's), or does
 * not name the host connected to. Not retryable: the certificate will not change by waiting.
 */
export class ServerTlsError extends WlmError {
  override readonly name = 'ServerTlsError';

  constructor(
    /** `RabbitMQ`, `MySQL`, `Neo4j`. */
    readonly server: string,
    /** `host:port` connected to. */
    readonly address: string,
    /** The setting that names the CA, e.g. `rabbitmq.caFile`. */
    readonly caSetting: string,
    cause: unknown,
  ) {
    super(
      'TLS_REFUSED',
      `TLS to ${server} at ${address} failed: ${messageOf(cause)}; set ${caSetting} to the PEM file of ` +
        `the CA that signed the server's certificate, and check that the certificate names the host you connect to`,
      { cause, retryable: false },
    );
  }
}

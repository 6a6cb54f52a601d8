import { ServerTlsError, isTlsRefusal } from '../../../src/errors';

function withCode(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('isTlsRefusal', () => {
  it("knows Node's certificate refusals and mysql2's failed handshake, also as a cause", () => {
    expect(isTlsRefusal(withCode('SELF_SIGNED_CERT_IN_CHAIN'))).toBe(true);
    expect(isTlsRefusal(withCode('ERR_TLS_CERT_ALTNAME_INVALID'))).toBe(true);
    expect(isTlsRefusal(withCode('HANDSHAKE_SSL_ERROR'))).toBe(true);
    expect(isTlsRefusal(new Error('wrapped', { cause: withCode('UNABLE_TO_VERIFY_LEAF_SIGNATURE') }))).toBe(
      true,
    );
  });

  it('leaves outages and other failures alone', () => {
    expect(isTlsRefusal(withCode('ECONNREFUSED'))).toBe(false);
    expect(isTlsRefusal(withCode('ServiceUnavailable'))).toBe(false);
    expect(isTlsRefusal(new Error('certificate trouble, says the text'))).toBe(false);
    expect(isTlsRefusal(undefined)).toBe(false);
  });
});

describe('ServerTlsError', () => {
  it('names the server, its address and the setting to fix, and is not retried', () => {
    const error = new ServerTlsError(
      'RabbitMQ',
      'mq1:5671',
      'rabbitmq.caFile',
      withCode('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
    );
    expect(error.code).toBe('TLS_REFUSED');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(
      /^TLS to RabbitMQ at mq1:5671 failed: self-signed certificate in certificate chain; set rabbitmq\.caFile /,
    );
  });
});

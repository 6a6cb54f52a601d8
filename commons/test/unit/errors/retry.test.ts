import { WlmError, isRetryableError, withRetry } from '@wlm/commons/errors';

function errorWithCode(code: string): Error {
  return Object.assign(new Error(code), { code });
}

describe('isRetryableError', () => {
  it.each([
    'ECONNREFUSED',
    'PROTOCOL_CONNECTION_LOST',
    'ER_LOCK_DEADLOCK',
    'ServiceUnavailable',
    'Neo.TransientError.General.DatabaseUnavailable',
  ])('retries %s', (code) => expect(isRetryableError(errorWithCode(code))).toBe(true));

  it.each(['ER_DUP_ENTRY', 'Neo.ClientError.Statement.SyntaxError'])('does not retry %s', (code) =>
    expect(isRetryableError(errorWithCode(code))).toBe(false),
  );

  it('retries an error of a connection that died (mysql2 marks it fatal), with or without a code', () => {
    const closed = Object.assign(new Error("Can't add new command when connection is in closed state"), {
      fatal: true,
    });
    expect(isRetryableError(closed)).toBe(true);
  });

  it('trusts the retryable flag of a WlmError and ignores plain errors', () => {
    expect(isRetryableError(new WlmError('AMQP_UNAVAILABLE', 'down', { retryable: true }))).toBe(true);
    expect(isRetryableError(new WlmError('DAG_INVALID', 'bad'))).toBe(false);
    expect(isRetryableError(new Error('no code'))).toBe(false);
  });
});

describe('withRetry', () => {
  it('retries a retryable failure until it succeeds', async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw errorWithCode('ECONNRESET');
        return 'done';
      },
      { initialDelayMs: 1, maxDelayMs: 2 },
    );
    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('gives up at once on a permanent failure', async () => {
    let calls = 0;
    const permanent = errorWithCode('ER_PARSE_ERROR');
    await expect(
      withRetry(async () => {
        calls += 1;
        throw permanent;
      }),
    ).rejects.toBe(permanent);
    expect(calls).toBe(1);
  });

  it('stops after maxAttempts', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw errorWithCode('ETIMEDOUT');
        },
        { maxAttempts: 4, initialDelayMs: 1, maxDelayMs: 1 },
      ),
    ).rejects.toThrow('ETIMEDOUT');
    expect(calls).toBe(4);
  });
});

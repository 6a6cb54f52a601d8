import { MessageValidationError } from '@wlm/commons/errors';
import { encodeMessage, parseMessage, taskRequestSchema } from '@wlm/commons/wire';
import { issuesOf, validRequest, without } from './wire-fixtures';

describe('TaskRequest', () => {
  it('round-trips through encode and parse with its type intact', () => {
    const request = validRequest();
    const parsed = parseMessage(taskRequestSchema, encodeMessage(taskRequestSchema, request));
    expect(parsed).toEqual(request);
    expect(parsed.constraints?.labels['site']).toBe('local');
  });

  it('accepts the minimal request and fills in empty constraint labels', () => {
    const minimal = without(validRequest(), 'constraints', 'retry', 'timeoutMs');
    expect(parseMessage(taskRequestSchema, minimal)).toEqual(minimal);
    const withVersionOnly = { ...minimal, constraints: { minPluginVersion: '2.0.0' } };
    expect(parseMessage(taskRequestSchema, withVersionOnly).constraints).toEqual({
      labels: {},
      minPluginVersion: '2.0.0',
    });
  });

  it('accepts any JSON value as context, including scalars and nesting', () => {
    for (const context of [null, 3, 'text', [1, [2, { three: true }]], { deep: { er: [{}] } }]) {
      expect(parseMessage(taskRequestSchema, { ...validRequest(), context }).context).toEqual(context);
    }
  });

  it('rejects a message of another version, naming the field', () => {
    expect(issuesOf(() => parseMessage(taskRequestSchema, { ...validRequest(), v: 2 }))).toEqual([
      'v: Invalid input: expected 1',
    ]);
  });

  it.each([
    ['attempt', { attempt: 0 }],
    ['attempt', { attempt: 1.5 }],
    ['priority', { priority: 10 }],
    ['priority', { priority: -1 }],
    ['taskType', { taskType: 'Not A Type' }],
    ['experimentId', { experimentId: '' }],
    ['requestedAt', { requestedAt: 'yesterday' }],
    ['timeoutMs', { timeoutMs: 0 }],
    ['retry.maxAttempts', { retry: { maxAttempts: 0, backoffMs: 1 } }],
    ['constraints.minPluginVersion', { constraints: { labels: {}, minPluginVersion: 'latest' } }],
    ['constraints.labels.site', { constraints: { labels: { site: 7 } } }],
  ])('rejects a bad %s and names it', (field, change) => {
    const issues = issuesOf(() => parseMessage(taskRequestSchema, { ...validRequest(), ...change }));
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) expect(issue.startsWith(`${field}: `)).toBe(true);
  });

  it('rejects a context that is not JSON', () => {
    const issues = issuesOf(() =>
      parseMessage(taskRequestSchema, { ...validRequest(), context: { when: new Date(), n: Number.NaN } }),
    );
    expect(issues).toEqual(['context.when: not a JSON value (Date)', 'context.n: not a finite number (NaN)']);
  });

  it('names the element of an array that is not JSON, and requires a context', () => {
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    expect(
      issuesOf(() => parseMessage(taskRequestSchema, { ...validRequest(), context: { files: sparse } })),
    ).toEqual(['context.files[1]: expected a JSON value, received undefined']);
    expect(issuesOf(() => parseMessage(taskRequestSchema, without(validRequest(), 'context')))).toEqual([
      'context: expected a JSON value, received undefined',
    ]);
  });

  it('lists every missing field at once', () => {
    const issues = issuesOf(() => parseMessage(taskRequestSchema, { v: 1 }));
    const fields = issues.map((issue) => issue.split(':')[0]);
    expect(fields).toEqual(
      expect.arrayContaining(['experimentId', 'taskId', 'attempt', 'taskType', 'priority', 'requestedAt']),
    );
  });

  it('throws a MessageValidationError that names the message type and is not retryable', () => {
    expect.hasAssertions();
    try {
      parseMessage(taskRequestSchema, { ...validRequest(), priority: 'high' });
    } catch (error) {
      expect(error).toBeInstanceOf(MessageValidationError);
      const validation = error as MessageValidationError;
      expect(validation.code).toBe('MESSAGE_INVALID');
      expect(validation.messageType).toBe('TaskRequest');
      expect(validation.retryable).toBe(false);
      expect(validation.message).toMatch(/^invalid TaskRequest: priority: /);
    }
  });

  it('refuses to encode an invalid message, so a sender bug surfaces at the sender', () => {
    expect(() => encodeMessage(taskRequestSchema, { ...validRequest(), attempt: -1 })).toThrow(
      MessageValidationError,
    );
  });
});

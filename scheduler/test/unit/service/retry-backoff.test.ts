import { DEFAULT_RETRY_POLICY } from '@wlm/commons/wire';
import type { TaskRequest } from '@wlm/commons/wire';
import {
  hasAttemptsLeft,
  nextAttemptRequest,
  retryDelayMs,
  retryPolicyOf,
  withExcluded,
} from '@wlm/scheduler';

function request(overrides: Partial<TaskRequest> = {}): TaskRequest {
  return {
    v: 1,
    experimentId: 'exp-1',
    run: 1,
    taskId: 'stage-in',
    attempt: 1,
    taskType: 'echo',
    context: { message: 'hi' },
    priority: 4,
    requestedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('retry backoff', () => {
  it('doubles from backoffMs with each failed attempt', () => {
    const policy = { maxAttempts: 10, backoffMs: 1_000 };
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(policy, attempt))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
  });

  it('is capped, even for absurd attempt numbers', () => {
    const policy = { maxAttempts: 100, backoffMs: 1_000 };
    expect(retryDelayMs(policy, 20)).toBe(5 * 60_000);
    expect(retryDelayMs(policy, 2_000)).toBe(5 * 60_000);
    expect(retryDelayMs(policy, 3, 3_000)).toBe(3_000);
    expect(retryDelayMs({ maxAttempts: 3, backoffMs: 0 }, 5)).toBe(0);
  });

  it('uses the default policy (3 attempts, 1 s) when the request has none', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ maxAttempts: 3, backoffMs: 1_000 });
    expect(retryPolicyOf(request())).toBe(DEFAULT_RETRY_POLICY);
    expect(hasAttemptsLeft(request({ attempt: 2 }))).toBe(true);
    expect(hasAttemptsLeft(request({ attempt: 3 }))).toBe(false);
    expect(hasAttemptsLeft(request({ attempt: 3, retry: { maxAttempts: 5, backoffMs: 10 } }))).toBe(true);
  });

  it('builds the next attempt: attempt + 1, the failing worker excluded, held until its backoff ends', () => {
    const now = new Date('2026-01-01T00:01:00.000Z');
    const next = nextAttemptRequest(
      request({ excludeWorkers: ['w0'], notBefore: '2026-01-01T00:00:30.000Z' }),
      {
        failedOn: 'w1',
        delayMs: 2_000,
        now,
      },
    );
    expect(next).toMatchObject({
      attempt: 2,
      excludeWorkers: ['w0', 'w1'],
      notBefore: '2026-01-01T00:01:02.000Z',
      requestedAt: now.toISOString(),
      priority: 4,
      context: { message: 'hi' },
    });
    const immediate = nextAttemptRequest(request({ notBefore: '2026-01-01T00:00:30.000Z' }), {
      delayMs: 0,
      now,
    });
    expect(immediate.notBefore).toBeUndefined();
    expect(immediate.excludeWorkers).toEqual([]);
  });

  it('excludes a worker once and keeps the wire bound of 100', () => {
    expect(withExcluded(['a', 'b'], 'a')).toEqual(['b', 'a']);
    const many = Array.from({ length: 100 }, (_, i) => `w${i}`);
    const bounded = withExcluded(many, 'last');
    expect(bounded).toHaveLength(100);
    expect(bounded.at(-1)).toBe('last');
    expect(bounded[0]).toBe('w1');
  });
});

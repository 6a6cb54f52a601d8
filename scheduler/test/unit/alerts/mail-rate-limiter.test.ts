import { MailRateLimiter } from '@wlm/scheduler';

describe('MailRateLimiter', () => {
  it('mails a worker failure at most once per cooldown and counts the suppressed ones', () => {
    const limiter = new MailRateLimiter({ perWorkerCooldownMs: 60_000, maxPerHour: 100 });
    expect(limiter.failure('w1', 0)).toEqual({ allowed: true, suppressedBefore: 0 });
    expect(limiter.failure('w1', 10_000)).toEqual({ allowed: false, suppressedBefore: 0 });
    expect(limiter.failure('w1', 20_000)).toEqual({ allowed: false, suppressedBefore: 1 });
    expect(limiter.failure('w2', 20_000).allowed).toBe(true);
    expect(limiter.failure('w1', 60_000)).toEqual({ allowed: true, suppressedBefore: 2 });
    expect(limiter.failure('w1', 130_000)).toEqual({ allowed: true, suppressedBefore: 0 });
  });

  it('caps all mails per hour', () => {
    const limiter = new MailRateLimiter({ perWorkerCooldownMs: 0, maxPerHour: 2 });
    expect(limiter.failure('a', 0).allowed).toBe(true);
    expect(limiter.recovery(1)).toBe(true);
    expect(limiter.failure('b', 2).allowed).toBe(false);
    expect(limiter.recovery(3)).toBe(false);
    expect(limiter.failure('b', 60 * 60_000 + 1).allowed).toBe(true);
  });

  it('gives a mail back when it could not be sent', () => {
    const limiter = new MailRateLimiter({ perWorkerCooldownMs: 60_000, maxPerHour: 1 });
    expect(limiter.failure('w1', 5).allowed).toBe(true);
    limiter.refund('w1', 5);
    expect(limiter.failure('w1', 6).allowed).toBe(true);
  });
});

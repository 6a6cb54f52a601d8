export interface MailRateLimiterOptions {
  /** At most one failure mail per worker in this time; later failures are counted and named in the next mail. */
  readonly perWorkerCooldownMs?: number;
  /** At most this many mails of any kind per hour, so a mass failure does not flood the admin. */
  readonly maxPerHour?: number;
}

/** The rate limit's answer for a failure mail. */
export interface FailureVerdict {
  readonly allowed: boolean;
  /** Failures of this worker suppressed since its last mail, to be mentioned when one is sent. */
  readonly suppressedBefore: number;
}

const HOUR_MS = 60 * 60_000;

/** Rate limits admin mails: a cooldown per worker (a flapping worker) and a global hourly cap. Pure: callers pass the time. */
export class MailRateLimiter {
  private readonly cooldownMs: number;
  private readonly maxPerHour: number;
  private readonly lastFailureMail = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();
  private sent: number[] = [];

  constructor(options: MailRateLimiterOptions = {}) {
    this.cooldownMs = options.perWorkerCooldownMs ?? 10 * 60_000;
    this.maxPerHour = options.maxPerHour ?? 60;
  }

  /** Whether a failure mail for `workerId` may go out now; taking it counts it. */
  failure(workerId: string, now: number): FailureVerdict {
    const last = this.lastFailureMail.get(workerId);
    const suppressedBefore = this.suppressed.get(workerId) ?? 0;
    if ((last !== undefined && now - last < this.cooldownMs) || !this.takeGlobal(now)) {
      this.suppressed.set(workerId, suppressedBefore + 1);
      return { allowed: false, suppressedBefore };
    }
    this.lastFailureMail.set(workerId, now);
    this.suppressed.delete(workerId);
    return { allowed: true, suppressedBefore };
  }

  /** Whether a recovery mail may go out now (only the global cap applies); taking it counts it. */
  recovery(now: number): boolean {
    return this.takeGlobal(now);
  }

  /** Gives back the last mail counted for `workerId` when it could not be sent after all. */
  refund(workerId: string | undefined, now: number): void {
    this.sent.pop();
    if (workerId !== undefined && this.lastFailureMail.get(workerId) === now)
      this.lastFailureMail.delete(workerId);
  }

  private takeGlobal(now: number): boolean {
    this.sent = this.sent.filter((at) => now - at < HOUR_MS);
    if (this.sent.length >= this.maxPerHour) return false;
    this.sent.push(now);
    return true;
  }
}

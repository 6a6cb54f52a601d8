/**
 * Turns byte counts into progress events every `stepPercent` of the total — a transfer reports
 * chunk by chunk, the task's progress should not.
 *
 * @example
 * ```ts
 * const throttle = new ProgressThrottle(totalBytes);
 * const percent = throttle.advance(chunk.length);
 * if (percent !== undefined) ctx.progress(`${percent}% staged`, percent);
 * ```
 */
export class ProgressThrottle {
  private done = 0;
  private nextStep: number;

  constructor(
    private readonly totalBytes: number,
    private readonly stepPercent = 10,
  ) {
    if (!(stepPercent > 0 && stepPercent <= 100)) throw new RangeError('stepPercent must be in (0, 100]');
    this.nextStep = stepPercent;
  }

  /** The bytes counted so far (never more than the total). */
  get bytes(): number {
    return this.done;
  }

  /** Whole percent of the total counted so far; 100 for an empty total. */
  get percent(): number {
    return this.totalBytes <= 0 ? 100 : Math.floor((this.done * 100) / this.totalBytes);
  }

  /** Counts `bytes` more; returns the percent when that crosses the next step, else undefined. */
  advance(bytes: number): number | undefined {
    this.done = Math.min(this.totalBytes, this.done + Math.max(0, bytes));
    const percent = this.percent;
    if (percent < this.nextStep) return undefined;
    this.nextStep = (Math.floor(percent / this.stepPercent) + 1) * this.stepPercent;
    return percent;
  }
}

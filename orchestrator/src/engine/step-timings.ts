/**
 * How long each step of one piece of work took, in whole milliseconds, for the debug line that tells
 * where it waits (`--log-level debug`, docs/performance.md). Each step runs from the end of the one
 * before it, the first from the timer's creation.
 *
 * @example
 * ```ts
 * const steps = new StepTimings();
 * await create();
 * steps.done('create');
 * await start();
 * steps.done('start');
 * logger.debug({ experiments: 3, ...steps.ms }, 'submission group handled'); // createMs, startMs
 * ```
 */
export class StepTimings {
  /** `<step>Ms` for each step done so far. */
  readonly ms: Record<string, number> = {};
  private last = performance.now();

  /** Ends step `name` now. */
  done(name: string): void {
    const now = performance.now();
    this.ms[`${name}Ms`] = Math.round(now - this.last);
    this.last = now;
  }
}

/**
 * When a run says it started. RUNNING is held back for `delayMs`: a run that ends sooner carries
 * its start on its terminal event (`startedAt`) instead, so a short task costs one event rather
 * than two — a publish, two deliveries and a write in each store fewer. A longer run sends RUNNING
 * once the delay is up, or at once when it reports progress first, so RUNNING always precedes the
 * run's PROGRESS. With `delayMs` 0 every run sends RUNNING as it starts.
 */
export class RunningReport {
  /** When the run started, whichever event ends up saying so. */
  readonly startedAt = new Date().toISOString();
  private timer: NodeJS.Timeout | undefined;
  private decided = false;

  constructor(
    delayMs: number,
    private readonly sendRunning: (startedAt: string) => void,
  ) {
    if (delayMs <= 0) this.sendNow();
    else this.timer = setTimeout(() => this.sendNow(), delayMs);
  }

  /** Sends RUNNING now unless it went out already or the run ended. */
  sendNow(): void {
    if (this.decided) return;
    this.decided = true;
    clearTimeout(this.timer);
    this.sendRunning(this.startedAt);
  }

  /**
   * The run is over: no RUNNING goes out from now on. Returns the start for the terminal event to
   * carry when no RUNNING went out, and undefined when one did.
   */
  settle(): string | undefined {
    if (this.decided) return undefined;
    this.decided = true;
    clearTimeout(this.timer);
    return this.startedAt;
  }
}

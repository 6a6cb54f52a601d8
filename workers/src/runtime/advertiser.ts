import {
  ADVERTISEMENT_TAGS,
  SERF_TAGS_MAX_BYTES,
  encodeAdvertisementTags,
  serfTagsSize,
} from '@wlm/commons/advertisement';
import { AdvertisementTooLargeError } from '@wlm/commons/errors';
import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import type { Logger } from '@wlm/commons/logging';
import type { SerfRpcClient } from '@wlm/commons/serf';

export interface AdvertiserOptions {
  serf: SerfRpcClient;
  advertisement: WorkerAdvertisement;
  /** Least time between two tag updates. */
  intervalMs: number;
  logger: Logger;
  /**
   * Tags the agent carries besides ours (an agent shared with other software): Serf's 512-byte
   * limit covers them too.
   */
  foreignTags?: Readonly<Record<string, string>>;
  onAdvertised?: (advertisement: WorkerAdvertisement) => void;
}

/** A failing agent is retried with backoff up to this, not hammered every interval. */
const MAX_RETRY_DELAY_MS = 5_000;

/**
 * Keeps a worker's Serf tags in step with its load. A `tags` RPC takes ~200 ms and each one gossips
 * to the whole cluster, so updates are throttled: at most one per `intervalMs`, never two in flight,
 * and the latest state is always sent after the last change (trailing edge).
 */
export class Advertiser {
  private advertisement: WorkerAdvertisement;
  private dirty = false;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private readonly log: Logger;

  /**
   * @throws AdvertisementTooLargeError when the tags (with any foreign ones) exceed Serf's limit.
   * @throws MessageValidationError when the advertisement is not valid.
   */
  constructor(private readonly options: AdvertiserOptions) {
    this.advertisement = options.advertisement;
    this.log = options.logger;
    // The departing form is the largest the tags get: checked now, not when the worker stops.
    const tags = encodeAdvertisementTags({ ...this.advertisement, departing: true });
    const size = serfTagsSize({ ...options.foreignTags, ...tags });
    if (size > SERF_TAGS_MAX_BYTES) {
      throw new AdvertisementTooLargeError(this.advertisement.workerId, size, SERF_TAGS_MAX_BYTES);
    }
  }

  /** What was last asked to be advertised (it may still be on its way). */
  get current(): WorkerAdvertisement {
    return this.advertisement;
  }

  /** Records a new number of free slots; Serf hears of it within the throttle interval. */
  setFreeSlots(freeSlots: number): void {
    if (this.stopped || freeSlots === this.advertisement.freeSlots) return;
    this.advertisement = { ...this.advertisement, freeSlots };
    this.dirty = true;
    this.schedule();
  }

  /** Sends everything again, e.g. after the agent restarted and forgot our tags. */
  resend(): void {
    if (this.stopped) return;
    this.dirty = true;
    this.schedule();
  }

  /** Sends the current advertisement now, after any update in flight; rejects when the agent refuses. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.inFlight !== undefined) await this.inFlight;
    await this.track(this.push());
  }

  /**
   * Stops updating, then sends 0 free slots with the departing mark, after any update in flight;
   * rejects when the agent refuses.
   */
  async depart(): Promise<void> {
    this.stopped = true;
    this.advertisement = { ...this.advertisement, freeSlots: 0, departing: true };
    await this.flush();
  }

  /** Stops updating; an update in flight still completes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.inFlight !== undefined) await this.inFlight;
  }

  /** Stops updating and removes our tags from the agent (which stays in the cluster). */
  async withdraw(): Promise<void> {
    await this.stop();
    await this.options.serf.tags({ delete: Object.values(ADVERTISEMENT_TAGS) });
  }

  private schedule(): void {
    if (this.stopped || !this.dirty || this.timer !== undefined || this.inFlight !== undefined) return;
    const spacing =
      this.failures === 0
        ? this.options.intervalMs
        : Math.min(MAX_RETRY_DELAY_MS, Math.max(this.options.intervalMs, 100) * 2 ** this.failures);
    const delay = Math.max(0, this.lastSentAt + spacing - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.track(this.push()).catch((error: unknown) => {
        // The first failure of a run is news; the retries that follow are not.
        if (this.failures === 1) this.log.warn({ err: error }, 'cannot update the Serf tags; retrying');
        else this.log.debug({ err: error, failures: this.failures }, 'Serf tags update failed again');
      });
    }, delay);
    // Pending tags alone must not keep a stopping process alive.
    this.timer.unref();
  }

  private track(push: Promise<void>): Promise<void> {
    const settled: Promise<void> = push
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        if (this.inFlight === settled) this.inFlight = undefined;
        this.schedule();
      });
    this.inFlight = settled;
    return push;
  }

  private async push(): Promise<void> {
    const advertisement = this.advertisement;
    this.dirty = false;
    this.lastSentAt = Date.now();
    try {
      await this.options.serf.tags({ set: encodeAdvertisementTags(advertisement) });
    } catch (error) {
      this.dirty = true;
      this.failures += 1;
      throw error;
    }
    if (this.failures > 0) this.log.info('Serf tags updated again');
    this.failures = 0;
    this.options.onAdvertised?.(advertisement);
  }
}

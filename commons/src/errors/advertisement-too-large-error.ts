import { WlmError } from './wlm-error';

/**
 * A worker's advertisement does not fit in Serf's tag budget. Not retryable: the same advert is just
 * as large next time; the worker must advertise less (fewer task types, shorter labels or names).
 */
export class AdvertisementTooLargeError extends WlmError {
  override readonly name = 'AdvertisementTooLargeError';

  constructor(
    readonly workerId: string,
    /** Encoded size of the tags in bytes, as Serf counts it. */
    readonly size: number,
    readonly limit: number,
  ) {
    super(
      'ADVERTISEMENT_TOO_LARGE',
      `the advertisement of worker ${workerId} encodes to ${size} bytes of Serf tags, over Serf's limit ` +
        `of ${limit}: advertise fewer task types or shorter labels, worker name or queue name`,
    );
  }
}

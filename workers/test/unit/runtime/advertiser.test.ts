import pino from 'pino';
import {
  SERF_TAGS_MAX_BYTES,
  decodeAdvertisementTags,
  encodeAdvertisementTags,
  serfTagsSize,
} from '@wlm/commons/advertisement';
import { AdvertisementTooLargeError } from '@wlm/commons/errors';
import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import type { SerfRpcClient } from '@wlm/commons/serf';
import { Advertiser } from '../../../src/runtime/advertiser';

const advertisement: WorkerAdvertisement = {
  role: 'worker',
  workerId: 'w1',
  queue: 'wlm.worker.w1',
  slots: 4,
  freeSlots: 4,
  taskTypes: { echo: '0.1.0' },
  labels: {},
};

/** A stand-in agent whose `tags` calls take `latencyMs` and are recorded as the free slots they set. */
function fakeSerf(latencyMs = 0) {
  const sent: number[] = [];
  const adverts: WorkerAdvertisement[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const serf = {
    async tags(change: { set?: Record<string, string> }) {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      inFlight -= 1;
      const decoded = decodeAdvertisementTags(change.set ?? {});
      if (decoded === undefined) return;
      sent.push(decoded.freeSlots);
      adverts.push(decoded);
    },
  };
  return { serf: serf as unknown as SerfRpcClient, sent, adverts, maxInFlight: () => maxInFlight };
}

const logger = pino({ level: 'silent' });

describe('Advertiser', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends at most one update per interval, one at a time, and always the last state', async () => {
    const agent = fakeSerf(50);
    const advertiser = new Advertiser({ serf: agent.serf, advertisement, intervalMs: 250, logger });
    for (const free of [3, 2, 1, 0]) advertiser.setFreeSlots(free);
    await jest.advanceTimersByTimeAsync(100);
    advertiser.setFreeSlots(1);
    advertiser.setFreeSlots(2);
    await jest.advanceTimersByTimeAsync(2_000);
    // Changes made together go out as one update at once; a burst within the interval collapses
    // into its last value, sent when the interval is over.
    expect(agent.sent).toEqual([0, 2]);
    expect(agent.maxInFlight()).toBe(1);
    await advertiser.stop();
  });

  it('retries after a failed update', async () => {
    const agent = fakeSerf();
    let failures = 1;
    const tags = agent.serf.tags.bind(agent.serf);
    agent.serf.tags = async (change) => {
      if (failures-- > 0) throw new Error('agent away');
      return tags(change);
    };
    const advertiser = new Advertiser({ serf: agent.serf, advertisement, intervalMs: 100, logger });
    advertiser.setFreeSlots(1);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(agent.sent).toEqual([1]);
    await advertiser.stop();
  });

  it('departs: after the update in flight, sends 0 free slots with the departing mark, and nothing later', async () => {
    const agent = fakeSerf(50);
    const advertiser = new Advertiser({ serf: agent.serf, advertisement, intervalMs: 100, logger });
    advertiser.setFreeSlots(2);
    await jest.advanceTimersByTimeAsync(10);
    const departed = advertiser.depart();
    advertiser.setFreeSlots(4);
    await jest.advanceTimersByTimeAsync(2_000);
    await departed;
    expect(agent.adverts).toEqual([
      { ...advertisement, freeSlots: 2 },
      { ...advertisement, freeSlots: 0, departing: true },
    ]);
    expect(agent.maxInFlight()).toBe(1);
  });

  it('refuses an advertisement whose departing form, with the agent’s other tags, exceeds 512 bytes', () => {
    const agent = fakeSerf();
    const plain = encodeAdvertisementTags(advertisement);
    // Room for the advertisement as it is, not for its departing mark.
    const foreignTags = { other: 'x'.repeat(SERF_TAGS_MAX_BYTES - serfTagsSize(plain) - 9) };
    expect(serfTagsSize({ ...plain, ...foreignTags })).toBeLessThanOrEqual(SERF_TAGS_MAX_BYTES);
    expect(
      () => new Advertiser({ serf: agent.serf, advertisement, intervalMs: 100, logger, foreignTags }),
    ).toThrow(AdvertisementTooLargeError);
  });

  it('refuses an advertisement that, with the agent’s other tags, exceeds 512 bytes', () => {
    const agent = fakeSerf();
    expect(
      () =>
        new Advertiser({
          serf: agent.serf,
          advertisement,
          intervalMs: 100,
          logger,
          foreignTags: { other: 'x'.repeat(450) },
        }),
    ).toThrow(AdvertisementTooLargeError);
  });
});

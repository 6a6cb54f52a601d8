import {
  DELIVERY_HEADERS,
  afterRetryableFailure,
  copyHeaders,
  countedDeliveries,
  judgeDelivery,
  originOf,
  outagePauseMs,
  retryPauseMs,
  withoutDeliveryHeaders,
} from '@wlm/commons/amqp';

const count = (n: unknown): Record<string, unknown> => ({ [DELIVERY_HEADERS.deliveries]: n });

describe('counting deliveries by the message', () => {
  it('reads the count from its header, treating a missing or garbled one as none', () => {
    expect(countedDeliveries(undefined)).toBe(0);
    expect(countedDeliveries({})).toBe(0);
    expect(countedDeliveries(count(3))).toBe(3);
    expect(countedDeliveries(count('4'))).toBe(4);
    for (const garbled of [-1, 1.5, 'x', null, {}, Number.MAX_VALUE])
      expect(countedDeliveries(count(garbled))).toBe(0);
  });

  it('handles a fresh delivery as the one after those counted', () => {
    expect(judgeDelivery(undefined, false, 10)).toEqual({ action: 'handle', deliveries: 1 });
    expect(judgeDelivery(count(9), false, 10)).toEqual({ action: 'handle', deliveries: 10 });
  });

  it('counts a redelivery (its consumer died) in a copy before anyone handles it again', () => {
    expect(judgeDelivery(undefined, true, 10)).toEqual({ action: 'recount', previous: 1 });
    expect(judgeDelivery(count(8), true, 10)).toEqual({ action: 'recount', previous: 9 });
  });

  it('dead-letters without handling once the limit of deliveries was used up', () => {
    expect(judgeDelivery(count(9), true, 10)).toEqual({ action: 'limit', previous: 10 });
    expect(judgeDelivery(count(12), false, 10)).toEqual({ action: 'limit', previous: 12 });
    expect(judgeDelivery(undefined, true, 1)).toEqual({ action: 'limit', previous: 1 });
  });

  it('gives a retryable failure another delivery until the last one allowed', () => {
    expect(afterRetryableFailure(1, 10)).toBe('republish');
    expect(afterRetryableFailure(9, 10)).toBe('republish');
    expect(afterRetryableFailure(10, 10)).toBe('dead-letter');
    expect(afterRetryableFailure(1, 1)).toBe('dead-letter');
  });

  it('a message that always fails, or always kills its consumer, is handled exactly N times', () => {
    for (const crash of [false, true]) {
      let headers: Record<string, unknown> = {};
      let redelivered = false;
      let handled = 0;
      for (let step = 0; step < 100; step += 1) {
        const verdict = judgeDelivery(headers, redelivered, 4);
        if (verdict.action === 'limit') break;
        if (verdict.action === 'recount') {
          headers = copyHeaders(headers, { exchange: '', routingKey: 'q' }, verdict.previous);
          redelivered = false;
          continue;
        }
        handled += 1;
        if (crash) redelivered = true;
        else if (afterRetryableFailure(verdict.deliveries, 4) === 'dead-letter') break;
        else headers = copyHeaders(headers, { exchange: '', routingKey: 'q' }, verdict.deliveries, 'E');
      }
      expect({ crash, handled }).toEqual({ crash, handled: 4 });
    }
  });

  it('doubles the pause between deliveries up to its cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryPauseMs(n, 1000, 5000))).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(retryPauseMs(500, 1000, 60_000)).toBe(60_000);
  });

  it('pauses as long again as a store outage has lasted, however many messages failed in it', () => {
    expect([0, 400, 1_500, 8_000, 90_000].map((ms) => outagePauseMs(ms, 1000, 60_000))).toEqual([
      1000, 1000, 1_500, 8_000, 60_000,
    ]);
  });

  it('keeps where a copied message was first published, and the original headers', () => {
    const fields = { exchange: 'wlm.events', routingKey: 'task.completed' };
    const copy = copyHeaders({ 'x-app': 'kept' }, fields, 2, 'Error: boom');
    expect(copy).toMatchObject({ 'x-app': 'kept', [DELIVERY_HEADERS.lastError]: 'Error: boom' });
    expect(originOf(copy, { exchange: '', routingKey: 'wlm.orchestrator.events' })).toEqual(fields);
    const again = copyHeaders(copy, { exchange: '', routingKey: 'wlm.orchestrator.events' }, 3);
    expect(originOf(again, { exchange: '', routingKey: 'x' })).toEqual(fields);
    expect(again[DELIVERY_HEADERS.lastError]).toBe('Error: boom');
    expect(withoutDeliveryHeaders(again, ['x-app'])).toEqual({});
  });
});

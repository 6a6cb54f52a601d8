import { DEAD_LETTER_HEADERS, DELIVERY_HEADERS } from '@wlm/commons/amqp';
import { deadLetterDetail, deadLetterView, replayHeaders } from '../../../src/amqp/dead-letter-view';

const wlmDeadLetter = {
  content: Buffer.from('{"v":1,"taskId":"t1"}'),
  properties: {
    messageId: 'm-1',
    priority: 4,
    headers: {
      'x-app': 'kept',
      [DELIVERY_HEADERS.deliveries]: 9,
      [DELIVERY_HEADERS.lastError]: 'Error: boom',
      [DEAD_LETTER_HEADERS.id]: '0b7f3a52-5d0e-4f4e-9a36-0c7a0e0c1d11',
      [DEAD_LETTER_HEADERS.sourceQueue]: 'wlm.scheduler.requests',
      [DEAD_LETTER_HEADERS.errorCode]: 'REDELIVERY_LIMIT',
      [DEAD_LETTER_HEADERS.error]: 'delivered 10 times; the last delivery failed with Error: boom',
      [DEAD_LETTER_HEADERS.consumer]: 'wlm-scheduler-a on host pid 7',
      [DEAD_LETTER_HEADERS.deadLetteredAt]: '2026-01-02T03:04:05.000Z',
      [DEAD_LETTER_HEADERS.deliveries]: 10,
    },
  },
};

const brokerDeadLetter = {
  content: Buffer.from('not json'),
  properties: {
    messageId: undefined,
    priority: undefined,
    headers: {
      'x-first-death-queue': 'wlm.worker.w1',
      'x-first-death-reason': 'rejected',
      'x-death': [
        {
          count: 1,
          reason: 'rejected' as const,
          queue: 'wlm.worker.w1',
          exchange: '',
          'routing-keys': ['wlm.worker.w1'],
          // As amqplib decodes an AMQP timestamp: seconds since the epoch.
          time: { '!': 'timestamp' as const, value: Date.parse('2026-01-02T00:00:00Z') / 1000 },
        },
      ],
    },
  },
};

describe('dead-letter views', () => {
  it('shows what a wlm consumer recorded when it gave up', () => {
    expect(deadLetterView(wlmDeadLetter)).toEqual({
      id: '0b7f3a52-5d0e-4f4e-9a36-0c7a0e0c1d11',
      sourceQueue: 'wlm.scheduler.requests',
      errorCode: 'REDELIVERY_LIMIT',
      reason: 'delivered 10 times; the last delivery failed with Error: boom',
      consumer: 'wlm-scheduler-a on host pid 7',
      deadLetteredAt: '2026-01-02T03:04:05.000Z',
      deliveries: 10,
      messageId: 'm-1',
      priority: 4,
      bytes: wlmDeadLetter.content.length,
    });
  });

  it('gives a message the broker dead-lettered a stable id and what its death records say', () => {
    const view = deadLetterView(brokerDeadLetter);
    expect(view).toMatchObject({
      sourceQueue: 'wlm.worker.w1',
      errorCode: 'BROKER_REJECTED',
      reason: 'dead-lettered by RabbitMQ: rejected',
      consumer: undefined,
      deadLetteredAt: '2026-01-02T00:00:00.000Z',
      deliveries: 1,
    });
    expect(view.id).toMatch(/^h-[0-9a-f]{24}$/);
    expect(deadLetterView(brokerDeadLetter).id).toBe(view.id);
    expect(deadLetterView({ ...brokerDeadLetter, content: Buffer.from('other') }).id).not.toBe(view.id);
  });

  it('shows the body parsed when it is JSON and as text when not', () => {
    expect(deadLetterDetail(wlmDeadLetter).body).toEqual({ v: 1, taskId: 't1' });
    expect(deadLetterDetail(brokerDeadLetter).body).toBe('not json');
  });

  it('replays with the original headers only, the count and the reason gone', () => {
    expect(replayHeaders(wlmDeadLetter, 'id-1')).toEqual({ 'x-app': 'kept', 'x-wlm-replayed-from': 'id-1' });
    expect(replayHeaders(brokerDeadLetter, 'id-2')).toEqual({ 'x-wlm-replayed-from': 'id-2' });
  });
});

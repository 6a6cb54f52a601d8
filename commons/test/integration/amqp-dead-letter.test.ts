import { DEAD_LETTER_HEADERS } from '@wlm/commons/amqp';
import { WlmError } from '@wlm/commons/errors';
import { encodeMessage, taskRequestSchema } from '@wlm/commons/wire';
import type { AmqpConnection, WlmTopology } from '@wlm/commons/amqp';
import type { TaskRequest, TaskRequestInput } from '@wlm/commons/wire';
import type { GetMessage } from 'amqplib';
import { taskRequest, waitFor } from '@wlm/test-support';
import { BrokerProbe, connectForTest, isolatedTopology } from './amqp-test-support';

const request = (taskId: string): TaskRequestInput =>
  taskRequest('exp-dlq', taskId, { context: { message: taskId }, priority: 1 });

describe('AmqpConnection dead-lettering', () => {
  let topology: WlmTopology;
  let amqp: AmqpConnection;
  let probe: BrokerProbe;

  beforeAll(async () => {
    topology = isolatedTopology('dlq');
    probe = await BrokerProbe.open();
    amqp = await connectForTest(topology.core());
  });

  afterAll(async () => {
    await amqp.close();
    await probe.deleteAll(topology.core());
    await probe.close();
  });

  const nextDeadLetter = (): Promise<GetMessage> => probe.next(topology.queues.deadLetter);

  it('dead-letters invalid messages with the reason and keeps consuming valid ones', async () => {
    const queue = topology.queues.schedulerRequests;
    const handled: TaskRequest[] = [];
    const consumer = await amqp.consume(queue, taskRequestSchema, (message) => {
      handled.push(message);
    });

    await probe.sendRaw(queue, Buffer.from('{"v":1,"experimentId":'));
    await probe.sendRaw(queue, Buffer.from(JSON.stringify({ ...request('bad'), priority: 42 })), 7);
    for (const id of ['a', 'b', 'c'])
      await amqp.publish('', queue, encodeMessage(taskRequestSchema, request(id)));

    await waitFor('the valid messages', () => handled.length === 3);
    expect(handled.map((message) => message.taskId)).toEqual(['a', 'b', 'c']);

    const notJson = await nextDeadLetter();
    expect(notJson.content.toString()).toBe('{"v":1,"experimentId":');
    expect(notJson.properties.headers?.[DEAD_LETTER_HEADERS.error]).toMatch(
      /invalid TaskRequest: \(body\): not valid JSON/,
    );
    expect(notJson.properties.headers?.[DEAD_LETTER_HEADERS.errorCode]).toBe('MESSAGE_INVALID');
    expect(notJson.properties.headers?.[DEAD_LETTER_HEADERS.sourceQueue]).toBe(queue);

    const badField = await nextDeadLetter();
    expect(badField.properties.headers?.[DEAD_LETTER_HEADERS.error]).toMatch(/priority: /);
    // The original message is kept as it was, priority included, for whoever repairs and replays it.
    expect(JSON.parse(badField.content.toString())).toMatchObject({ taskId: 'bad', priority: 42 });
    expect(badField.properties.priority).toBe(7);

    expect(await probe.messageCount(queue)).toBe(0);
    await consumer.cancel();
  });

  it('gives a message another delivery after a retryable handler error and dead-letters it on a permanent one', async () => {
    const queue = topology.queues.schedulerRequests;
    const attempts = new Map<string, number>();
    const redelivered: string[] = [];
    const consumer = await amqp.consume(
      queue,
      taskRequestSchema,
      (message, delivery) => {
        const attempt = (attempts.get(message.taskId) ?? 0) + 1;
        attempts.set(message.taskId, attempt);
        if (delivery.redelivered) redelivered.push(message.taskId);
        if (message.taskId === 'flaky' && attempt === 1) {
          throw new WlmError('AMQP_UNAVAILABLE', 'database briefly away', { retryable: true });
        }
        if (message.taskId === 'broken') throw new TypeError('cannot read properties of undefined');
      },
      { retryDelayMs: 50 },
    );

    await amqp.publishMessage('', queue, taskRequestSchema, request('flaky'));
    await amqp.publishMessage('', queue, taskRequestSchema, request('broken'));

    const dead = await nextDeadLetter();
    expect(JSON.parse(dead.content.toString())).toMatchObject({ taskId: 'broken' });
    expect(dead.properties.headers?.[DEAD_LETTER_HEADERS.error]).toBe(
      'TypeError: cannot read properties of undefined',
    );
    expect(dead.properties.headers?.[DEAD_LETTER_HEADERS.errorCode]).toBe('HANDLER_FAILED');

    await waitFor('the retried message', () => attempts.get('flaky') === 2);
    expect(redelivered).toEqual(['flaky']);
    expect(attempts.get('broken')).toBe(1);
    await waitFor('an empty queue', async () => (await probe.messageCount(queue)) === 0);
    await consumer.cancel();
  });

  it('re-subscribes after the broker cancels the consumer (its queue deleted and declared again)', async () => {
    const queue = topology.queues.schedulerEvents;
    const seen: string[] = [];
    const cancelled = new Promise<string>((resolve) => amqp.once('consumer-cancelled', resolve));
    await amqp.consume(queue, taskRequestSchema, (message) => {
      seen.push(message.taskId);
    });

    await probe.deleteAll({ exchanges: [], queues: topology.core().queues.filter((q) => q.name === queue) });
    await expect(cancelled).resolves.toBe(queue);
    await amqp.declare(topology.core());

    await amqp.publishMessage('', queue, taskRequestSchema, request('after-cancel'));
    await waitFor('the delivery after re-subscribing', () => seen.includes('after-cancel'));
  });
});

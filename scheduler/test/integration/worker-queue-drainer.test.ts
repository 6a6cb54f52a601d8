import { connect } from 'amqplib';
import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import {
  AmqpConnection,
  DEAD_LETTER_HEADERS,
  DELIVERY_HEADERS,
  REDELIVERY_LIMIT,
  deleteTopology,
  mergeTopology,
} from '@wlm/commons/amqp';
import { encodeMessage, parseMessage, taskAssignmentSchema, taskRequestSchema } from '@wlm/commons/wire';
import type { WlmTopology } from '@wlm/commons/amqp';
import type { TaskAssignmentInput } from '@wlm/commons/wire';
import { SchedulerMessages, WorkerQueueDrainer } from '@wlm/scheduler';
import { AMQP_URL, waitFor } from '@wlm/test-support';
import { isolatedTopology, taskRequest, testLogger } from '../support/harness';

/*
 * The drainer takes a lost worker's queue apart with `get`, outside any consumer: it must count those
 * deliveries like a consumer does, so an assignment it cannot move ends in the dead-letter queue
 * instead of being taken and returned for ever.
 */

const MAX_DELIVERIES = 3;
const WORKER = 'lost-worker';

let topology: WlmTopology;
let amqp: AmqpConnection;
let model: ChannelModel;
let channel: Channel;
let drainer: WorkerQueueDrainer;

function assignment(taskId: string): TaskAssignmentInput {
  return {
    ...taskRequest('echo', { taskId }),
    assignmentId: `a-${taskId}`,
    workerId: WORKER,
    assignedAt: new Date().toISOString(),
  };
}

async function put(taskId: string, headers: Record<string, unknown> = {}): Promise<void> {
  await amqp.publish(
    '',
    topology.workerQueue(WORKER),
    encodeMessage(taskAssignmentSchema, assignment(taskId)),
    {
      headers,
    },
  );
}

/** What a scheduler that died mid-drain leaves: every message taken, then returned flagged `redelivered`. */
async function takeAndDie(queue: string): Promise<void> {
  const taker = await model.createChannel();
  while ((await taker.get(queue, { noAck: false })) !== false);
  await taker.close();
}

async function getAll(queue: string): Promise<GetMessage[]> {
  const messages: GetMessage[] = [];
  for (
    let m = await channel.get(queue, { noAck: true });
    m !== false;
    m = await channel.get(queue, { noAck: true })
  )
    messages.push(m);
  return messages;
}

beforeAll(async () => {
  topology = isolatedTopology();
  amqp = await AmqpConnection.connect({
    url: AMQP_URL,
    logger: testLogger,
    topology: mergeTopology(topology.core(), topology.worker(WORKER)),
    connectionName: 'drainer-test',
  });
  model = await connect(AMQP_URL);
  channel = await model.createChannel();
  drainer = new WorkerQueueDrainer({
    amqp,
    topology,
    messages: new SchedulerMessages(amqp, topology),
    logger: testLogger,
    maxDeliveries: MAX_DELIVERIES,
    consumerName: 'drainer-test scheduler',
  });
});

afterAll(async () => {
  await amqp.close();
  await deleteTopology(channel, mergeTopology(topology.core(), topology.worker(WORKER))).catch(
    () => undefined,
  );
  await model.close();
});

it('moves an assignment taken before by a scheduler that died, counting that delivery', async () => {
  await put('survivor');
  await takeAndDie(topology.workerQueue(WORKER));

  const result = await drainer.drain(WORKER, true);
  expect(result).toMatchObject({ drained: true, count: 1 });
  const [moved, ...others] = await getAll(topology.queues.schedulerRequests);
  expect(others).toHaveLength(0);
  expect(parseMessage(taskRequestSchema, moved!.content)).toMatchObject({ taskId: 'survivor', attempt: 2 });
  expect(await getAll(topology.queues.deadLetter)).toHaveLength(0);
});

it('leaves a counted copy the worker may be running in place until Serf says the worker is gone', async () => {
  await put('maybe-running', { [DELIVERY_HEADERS.deliveries]: 1 });
  expect(await drainer.drain(WORKER, false)).toMatchObject({ drained: true, count: 0 });
  expect(await getAll(topology.queues.schedulerRequests)).toHaveLength(0);
  expect(await drainer.drain(WORKER, true)).toMatchObject({ drained: true, count: 1 });
  expect(await getAll(topology.queues.schedulerRequests)).toHaveLength(1);
  expect(await getAll(topology.queues.deadLetter)).toHaveLength(0);
});

it('dead-letters an assignment taken maxDeliveries times without being moved', async () => {
  await put('worn-out', { [DELIVERY_HEADERS.deliveries]: MAX_DELIVERIES - 1 });
  await takeAndDie(topology.workerQueue(WORKER));

  const result = await drainer.drain(WORKER, true);
  expect(result).toMatchObject({ drained: true, count: 0 });
  expect(await getAll(topology.queues.schedulerRequests)).toHaveLength(0);
  const [dead] = await getAll(topology.queues.deadLetter);
  const headers = dead!.properties.headers ?? {};
  expect(headers[DEAD_LETTER_HEADERS.errorCode]).toBe(REDELIVERY_LIMIT);
  expect(headers[DEAD_LETTER_HEADERS.consumer]).toBe('drainer-test scheduler');
  expect(headers[DEAD_LETTER_HEADERS.deliveries]).toBe(MAX_DELIVERIES);
  expect(headers[DEAD_LETTER_HEADERS.sourceQueue]).toBe(topology.workerQueue(WORKER));
});

it('dead-letters an assignment whose move fails for good instead of returning it for the next pass', async () => {
  await put('unmovable');
  // No requests queue: the next attempt's request is unroutable, which no later pass would fix.
  await channel.deleteQueue(topology.queues.schedulerRequests);
  try {
    const result = await drainer.drain(WORKER, true);
    expect(result).toMatchObject({ drained: true, count: 0 });
  } finally {
    await amqp.declare(topology.core());
  }
  await waitFor(
    'the dead letter',
    async () => (await channel.checkQueue(topology.queues.deadLetter)).messageCount === 1,
  );
  const [dead] = await getAll(topology.queues.deadLetter);
  expect(dead!.properties.headers?.[DEAD_LETTER_HEADERS.errorCode]).toBe('AMQP_PUBLISH_FAILED');
  expect(dead!.properties.headers?.[DEAD_LETTER_HEADERS.error]).toMatch(
    /^cannot move it off lost worker lost-worker: /,
  );
  expect((await channel.checkQueue(topology.workerQueue(WORKER))).messageCount).toBe(0);
});

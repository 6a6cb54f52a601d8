import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { connect } from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import { AmqpConnection, REDELIVERY_LIMIT, WlmTopology, deleteTopology } from '@wlm/commons/amqp';
import { loadConfig } from '@wlm/commons/config';
import { WlmError } from '@wlm/commons/errors';
import { createLogger } from '@wlm/commons/logging';
import { taskRequestSchema } from '@wlm/commons/wire';
import type { ConsumerHandle } from '@wlm/commons/amqp';
import type { TaskRequestInput } from '@wlm/commons/wire';
import { taskRequest, testNamespace, waitFor } from '@wlm/test-support';

/*
 * `wlm dlq` as an operator runs it, against dead letters real consumers made: one message that
 * always fails retryably (dead-lettered at the delivery limit), one that is not valid at all.
 */

jest.setTimeout(60_000);

const cli = join(__dirname, '..', '..', 'dist', 'cli.js');
const url = loadConfig().rabbitmq.url;
const topology = new WlmTopology(testNamespace('dlqcli-'));
const logger = createLogger({ component: 'dlq-cli-test', level: 'silent', pretty: false });

interface ListedDeadLetter {
  id: string;
  sourceQueue: string;
  errorCode: string;
  reason: string;
  consumer: string;
  deadLetteredAt: string;
  deliveries: number;
}

function wlm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args, '--namespace', topology.namespace], {
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function listed(): ListedDeadLetter[] {
  const { status, stdout, stderr } = wlm('dlq', 'list', '--json');
  expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  return JSON.parse(stdout) as ListedDeadLetter[];
}

function request(taskId: string): TaskRequestInput {
  return taskRequest('exp-dlq-cli', taskId, { priority: 3 });
}

let amqp: AmqpConnection;
let consumer: ConsumerHandle;
let model: ChannelModel;
let channel: Channel;
let failing = true;
const handled: Array<{ taskId: string; deliveries: number }> = [];

const deadLetterCount = async (): Promise<number> =>
  (await channel.checkQueue(topology.queues.deadLetter)).messageCount;

beforeAll(async () => {
  amqp = await AmqpConnection.connect({
    url,
    logger,
    topology: topology.core(),
    connectionName: 'dlq-cli-test',
    maxDeliveries: 2,
  });
  model = await connect(url);
  channel = await model.createChannel();
  consumer = await amqp.consume(
    topology.queues.schedulerRequests,
    taskRequestSchema,
    (message, delivery) => {
      handled.push({ taskId: message.taskId, deliveries: delivery.deliveries });
      if (failing) throw new WlmError('AMQP_UNAVAILABLE', 'the store is away', { retryable: true });
    },
    { retryDelayMs: 10 },
  );
  await amqp.publishMessage('', topology.queues.schedulerRequests, taskRequestSchema, request('poison'), {
    priority: 3,
  });
  await waitFor('the first dead letter', async () => (await deadLetterCount()) === 1);
  await amqp.publish('', topology.queues.schedulerRequests, Buffer.from('{"v":1,"taskId":'));
  await waitFor('the second dead letter', async () => (await deadLetterCount()) === 2);
});

afterAll(async () => {
  await consumer?.cancel();
  await amqp?.close();
  await deleteTopology(channel, topology.core()).catch(() => undefined);
  await model?.close();
});

it('lists each dead letter with a stable id, source queue, code, reason, consumer, time and deliveries', () => {
  const first = listed();
  expect(first).toHaveLength(2);
  const [poison, invalid] = first;
  expect(poison).toMatchObject({
    sourceQueue: topology.queues.schedulerRequests,
    errorCode: REDELIVERY_LIMIT,
    reason: 'delivered 2 times; the last delivery failed with WlmError: the store is away',
    deliveries: 2,
  });
  expect(poison?.consumer).toMatch(/^dlq-cli-test on /);
  expect(Number.isNaN(Date.parse(poison?.deadLetteredAt ?? ''))).toBe(false);
  expect(invalid).toMatchObject({ errorCode: 'MESSAGE_INVALID', deliveries: 1 });
  // Browsing loses nothing and changes nothing: the same ids in the same order, every time.
  expect(listed()).toEqual(first);

  const text = wlm('dlq', 'list');
  expect(text.status).toBe(0);
  const lines = text.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^ID\s+SOURCE QUEUE\s+CODE\s+DELIVERIES\s+DEAD-LETTERED AT\s+CONSUMER\s+REASON$/);
  expect(lines[1]).toContain(poison?.id);
  expect(lines[1]).toContain(REDELIVERY_LIMIT);
});

it('shows one dead letter with its body', () => {
  const [poison, invalid] = listed();
  const json = wlm('dlq', 'show', poison!.id, '--json');
  expect(json.status).toBe(0);
  expect(JSON.parse(json.stdout)).toMatchObject({
    id: poison!.id,
    body: { taskId: 'poison' },
    priority: 3,
  });
  const text = wlm('dlq', 'show', invalid!.id);
  expect(text.status).toBe(0);
  expect(text.stdout).toContain(`id:               ${invalid!.id}`);
  expect(text.stdout).toContain('error code:       MESSAGE_INVALID');
  expect(text.stdout).toContain('body:\n{"v":1,"taskId":\n');
});

it('replays a dead letter to its queue with the count reset: it is consumed again and leaves the queue', async () => {
  const [poison] = listed();
  failing = false;
  const before = handled.length;
  const replay = wlm('dlq', 'replay', poison!.id);
  expect(replay).toMatchObject({ status: 0, stderr: '' });
  expect(replay.stdout.trim()).toBe(`replayed ${poison!.id} to ${topology.queues.schedulerRequests}`);
  await waitFor('the replayed message handled', () => handled.length > before);
  expect(handled.slice(before)).toEqual([{ taskId: 'poison', deliveries: 1 }]);
  expect(listed().map((view) => view.id)).not.toContain(poison!.id);
  expect(await deadLetterCount()).toBe(1);
});

it('refuses to purge everything without --yes, removes one by id, and all with --yes', async () => {
  const refused = wlm('dlq', 'purge');
  expect(refused.status).toBe(1);
  expect(refused.stderr).toMatch(/^wlm: purge would remove all 1 dead letter\(s\) .* add --yes/);
  expect(refused.stderr).not.toMatch(/\n\s+at /);
  expect(await deadLetterCount()).toBe(1);

  const [invalid] = listed();
  expect(wlm('dlq', 'purge', invalid!.id)).toMatchObject({ status: 0, stdout: `removed ${invalid!.id}\n` });
  expect(listed()).toEqual([]);

  await amqp.publish('', topology.queues.schedulerRequests, Buffer.from('not json 1'));
  await amqp.publish('', topology.queues.schedulerRequests, Buffer.from('not json 2'));
  await waitFor('two more dead letters', async () => (await deadLetterCount()) === 2);
  expect(wlm('dlq', 'purge', '--yes')).toMatchObject({ status: 0, stdout: 'purged 2 dead letter(s)\n' });
  expect(listed()).toEqual([]);
});

it('says clearly when an id is not there, without a stack trace', () => {
  for (const args of [
    ['show', 'no-such-id'],
    ['replay', 'no-such-id'],
    ['purge', 'no-such-id'],
  ]) {
    const result = wlm('dlq', ...args);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `wlm: no dead letter no-such-id in ${topology.queues.deadLetter}: \`wlm dlq list\` or the console's Dead letters page shows the ids ` +
        '(a replay or purge may have removed it)\n',
    );
  }
});

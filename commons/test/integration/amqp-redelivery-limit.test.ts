import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { DEAD_LETTER_HEADERS, REDELIVERY_LIMIT } from '@wlm/commons/amqp';
import { WlmError } from '@wlm/commons/errors';
import { taskRequestSchema } from '@wlm/commons/wire';
import type { AmqpConnection, LostSettlement, WlmTopology } from '@wlm/commons/amqp';
import type { TaskRequestInput } from '@wlm/commons/wire';
import type { GetMessage } from 'amqplib';
import { AMQP_URL, ChildScripts, forceCloseConnections, taskRequest, waitFor } from '@wlm/test-support';
import { BrokerProbe, connectForTest, deferred, isolatedTopology } from './amqp-test-support';

const request = (taskId: string, priority = 1): TaskRequestInput =>
  taskRequest('exp-limit', taskId, { priority });

const MAX_DELIVERIES = 4;

describe('bounded redelivery', () => {
  let topology: WlmTopology;
  let probe: BrokerProbe;
  let workDir: string;
  const children = new ChildScripts();

  beforeAll(async () => {
    topology = isolatedTopology('redelivery');
    probe = await BrokerProbe.open();
    workDir = mkdtempSync(join(tmpdir(), 'wlm-redelivery-'));
  });

  afterAll(async () => {
    await children.killAll();
    await probe.deleteAll(topology.core());
    await probe.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  const nextDeadLetter = (): Promise<GetMessage> => probe.next(topology.queues.deadLetter);

  it('dead-letters a message whose handler always fails retryably after exactly N deliveries', async () => {
    const amqp = await connectForTest(topology.core(), {
      connectionName: 'redelivery-retryable',
      maxDeliveries: MAX_DELIVERIES,
    });
    const queue = topology.queues.schedulerRequests;
    const seen: Array<{ deliveries: number; redelivered: boolean; priority: number | undefined }> = [];
    const consumer = await amqp.consume(
      queue,
      taskRequestSchema,
      (_message, delivery) => {
        seen.push({
          deliveries: delivery.deliveries,
          redelivered: delivery.redelivered,
          priority: delivery.priority,
        });
        throw new WlmError('AMQP_UNAVAILABLE', `still down (delivery ${delivery.deliveries})`, {
          retryable: true,
        });
      },
      { retryDelayMs: 10, maxRetryDelayMs: 20 },
    );
    await amqp.publishMessage('', queue, taskRequestSchema, request('always-retryable', 6), {
      priority: 6,
      messageId: 'msg-always-retryable',
    });

    const dead = await nextDeadLetter();
    const headers = dead.properties.headers ?? {};
    expect(JSON.parse(dead.content.toString())).toMatchObject({ taskId: 'always-retryable' });
    expect(seen.map((s) => s.deliveries)).toEqual([1, 2, 3, 4]);
    expect(seen.map((s) => s.redelivered)).toEqual([false, true, true, true]);
    // Every copy kept the priority and id of the original.
    expect(seen.map((s) => s.priority)).toEqual([6, 6, 6, 6]);
    expect(dead.properties.priority).toBe(6);
    expect(dead.properties.messageId).toBe('msg-always-retryable');
    expect(headers[DEAD_LETTER_HEADERS.errorCode]).toBe(REDELIVERY_LIMIT);
    expect(headers[DEAD_LETTER_HEADERS.error]).toBe(
      'delivered 4 times; the last delivery failed with WlmError: still down (delivery 4)',
    );
    expect(headers[DEAD_LETTER_HEADERS.deliveries]).toBe(MAX_DELIVERIES);
    expect(headers[DEAD_LETTER_HEADERS.consumer]).toMatch(/^redelivery-retryable on .+ pid \d+$/);
    expect(headers[DEAD_LETTER_HEADERS.sourceQueue]).toBe(queue);
    expect(headers[DEAD_LETTER_HEADERS.id]).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor('the dead letter counted', () => amqp.deliveryCounts.deadLettered === 1);
    expect(await probe.messageCount(queue)).toBe(0);
    await consumer.cancel();
    await amqp.close();
  });

  it('hands a message back without counting a delivery when its handler is shutting down', async () => {
    const amqp = await connectForTest(topology.core(), {
      connectionName: 'redelivery-hand-back',
      maxDeliveries: 2,
    });
    const queue = topology.queues.schedulerRequests;
    const seen: number[] = [];
    const consumer = await amqp.consume(
      queue,
      taskRequestSchema,
      (_message, delivery) => {
        seen.push(delivery.deliveries);
        if (seen.length <= 3) throw new WlmError('SHUTTING_DOWN', 'going away', { retryable: true });
      },
      { retryDelayMs: 10 },
    );
    await amqp.publishMessage('', queue, taskRequestSchema, request('handed-back'));
    await waitFor('the fourth delivery', () => seen.length === 4);
    // Handed back three times, never counted: still the first delivery, and never dead-lettered.
    expect(seen).toEqual([1, 1, 1, 1]);
    expect(await probe.messageCount(topology.queues.deadLetter)).toBe(0);
    await consumer.cancel();
    await amqp.close();
  });

  it('waits out a store outage longer than the delivery limit without counting it, then handles the message', async () => {
    const amqp = await connectForTest(topology.core(), {
      connectionName: 'redelivery-store-outage',
      maxDeliveries: 2,
    });
    const queue = topology.queues.schedulerRequests;
    const seen: number[] = [];
    const consumer = await amqp.consume(
      queue,
      taskRequestSchema,
      (_message, delivery) => {
        seen.push(delivery.deliveries);
        // Five times the limit: a MySQL that does not answer, then answers again.
        if (seen.length <= 10)
          throw new WlmError('STORE_TIMEOUT', 'MySQL did not answer', { retryable: true });
      },
      { retryDelayMs: 5, maxRetryDelayMs: 20 },
    );
    await amqp.publishMessage('', queue, taskRequestSchema, request('store-outage'));
    await waitFor('the eleventh delivery', () => seen.length === 11);
    expect(seen).toEqual(Array.from({ length: 11 }, () => 1));
    await waitFor('the message acked', async () => (await probe.messageCount(queue)) === 0);
    expect(await probe.messageCount(topology.queues.deadLetter)).toBe(0);
    await consumer.cancel();
    await amqp.close();
  });

  it('dead-letters a message whose consumer process is SIGKILLed mid-handling every time after exactly N', async () => {
    const handledFile = join(workDir, 'handled.txt');
    writeFileSync(handledFile, '');
    const publisher = await connectForTest(topology.core(), { connectionName: 'redelivery-publisher' });
    await publisher.publishMessage(
      '',
      topology.queues.schedulerRequests,
      taskRequestSchema,
      request('poison'),
    );

    // An earlier test's message may be dead-lettered more than once (a dead letter is at least
    // once): this test's is the one that carries its task.
    const poisonDeadLetter = async (): Promise<GetMessage | false> => {
      for (let message = await probe.get(topology.queues.deadLetter); message !== false;) {
        if ((JSON.parse(message.content.toString()) as { taskId?: string }).taskId === 'poison')
          return message;
        message = await probe.get(topology.queues.deadLetter);
      }
      return false;
    };
    // A consumer killed between republishing its counted copy and acking the original leaves two
    // copies (at least once), so consumers are started until every copy is dead-lettered and the
    // queue is empty, not only until the first dead letter.
    const queue = topology.queues.schedulerRequests;
    const deadCopies: GetMessage[] = [];
    const maxConsumers = 2 * (MAX_DELIVERIES + 1);
    for (let spawned = 0; ; spawned += 1) {
      if (spawned >= maxConsumers)
        throw new Error(
          `copies still queued after ${spawned} consumers (${deadCopies.length} dead-lettered)`,
        );
      const child = children.start(join(__dirname, 'support', 'crashing-consumer.js'), [
        AMQP_URL,
        topology.namespace,
        String(MAX_DELIVERIES),
        handledFile,
      ]);
      // Either it starts handling a copy and is killed, or it dead-letters one and lives on.
      let deadLettered = false;
      await waitFor(
        `consumer ${spawned} to handle or dead-letter the message (${child.output})`,
        async () => {
          if (child.output.includes('handling')) return true;
          const dead = await poisonDeadLetter();
          if (dead !== false) deadCopies.push(dead);
          deadLettered = dead !== false;
          return deadLettered;
        },
      );
      if (deadLettered) {
        // Its ack of the dead-lettered copy must reach the broker, or the broker would rightly
        // requeue it (a dead letter is at least once), so it is stopped cleanly, once it consumes, as
        // a service is: the copy found may be one an earlier consumer's kill left behind,
        // dead-lettered while this one still loads.
        await child.untilPrinted('consuming', 30_000);
      }
      // A consumer handling a copy (even after dead-lettering another) never finishes: killed.
      if (child.output.includes('handling')) {
        child.kill('SIGKILL');
        expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
      } else {
        child.kill('SIGTERM');
        expect(await child.exited).toEqual({ code: 0, signal: null });
      }
      // Only once the broker has seen the consumer gone has it requeued what that consumer held, so
      // only then does an empty queue mean no copy is left.
      await waitFor(
        'the broker to drop the stopped consumer',
        async () => (await probe.consumerCount(queue)) === 0,
      );
      if (deadCopies.length > 0 && (await probe.messageCount(queue)) === 0) break;
    }
    const handled = readFileSync(handledFile, 'utf8').trim().split('\n');
    // Every count from 1 to N handled, none beyond. A consumer killed after republishing its counted
    // copy but before its ack of the original reached the broker leaves both (at least once): each
    // is then counted on its own, so a count may be handled twice.
    expect(new Set(handled)).toEqual(new Set(['poison 1', 'poison 2', 'poison 3', 'poison 4']));
    const headers = deadCopies[0]!.properties.headers ?? {};
    expect(headers[DEAD_LETTER_HEADERS.errorCode]).toBe(REDELIVERY_LIMIT);
    expect(headers[DEAD_LETTER_HEADERS.error]).toMatch(
      /^delivered 4 times without being settled; the last delivery ended with its consumer gone/,
    );
    expect(headers[DEAD_LETTER_HEADERS.consumer]).toMatch(/^crashing-consumer on /);
    await publisher.close();
  });

  it('logs and counts an ack its closed channel refused; the broker redelivers the message', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const connectionName = `redelivery-closed-${process.pid}`;
    const amqp: AmqpConnection = await connectForTest(topology.core(), {
      connectionName,
      logger,
      maxDeliveries: MAX_DELIVERIES,
    });
    const lost: LostSettlement[] = [];
    amqp.on('settlement-lost', (settlement) => lost.push(settlement));
    const queue = topology.queues.schedulerEvents;
    const held = deferred();
    const deliveries: number[] = [];
    await amqp.consume(queue, taskRequestSchema, async (_message, delivery) => {
      deliveries.push(delivery.deliveries);
      if (deliveries.length === 1) await held.promise;
    });
    await amqp.publishMessage('', queue, taskRequestSchema, request('closed-channel'), {
      messageId: 'msg-closed-channel',
    });
    await waitFor('the first delivery', () => deliveries.length === 1);

    const reconnected = new Promise((resolve) => amqp.once('reconnected', resolve));
    expect(await forceCloseConnections(connectionName)).toBe(1);
    await reconnected;
    held.resolve();

    await waitFor('the lost ack', () => lost.length === 1);
    expect(lost).toEqual([{ queue, messageId: 'msg-closed-channel', outcome: 'ack' }]);
    expect(amqp.deliveryCounts.settlementsLost).toBe(1);
    const warning = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find(
        (record) =>
          record['msg'] === 'delivery not settled: its channel closed first; the broker redelivers it',
      );
    expect(warning).toMatchObject({ level: 40, queue, messageId: 'msg-closed-channel', outcome: 'ack' });
    // Redelivered, and counted as the second delivery.
    await waitFor('the redelivery', () => deliveries.length === 2);
    expect(deliveries).toEqual([1, 2]);
    await waitFor('an empty queue', async () => (await probe.messageCount(queue)) === 0);
    await amqp.close();
  });
});

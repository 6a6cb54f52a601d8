import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import { RecentCancels } from '@wlm/commons/control';
import { WlmError } from '@wlm/commons/errors';
import { createLogger } from '@wlm/commons/logging';
import { attemptKey, taskAssignmentSchema, taskRequestSchema } from '@wlm/commons/wire';
import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import type { AmqpConnectionEvents, ConsumerHandle, Delivery, MessageHandler } from '@wlm/commons/amqp';
import type { TaskAssignment, TaskRequest, TaskRequestInput } from '@wlm/commons/wire';
import { taskRequest } from '@wlm/test-support';
import { CapacityIndex } from '../../../src/placement';
import { requestKey } from '../../../src/registry';
import type { WorkerRegistryEvents } from '../../../src/registry/registry-events';
import type { PlacementResult } from '../../../src/service/assignment-publisher';
import { RequestDispatcher } from '../../../src/service/request-dispatcher';
import type { DispatcherConnection } from '../../../src/service/request-dispatcher';
import type { SchedulerServiceEvents } from '../../../src/service/service-events';

/*
 * The dispatcher's decisions, with the broker, the workers' capacity and the assignment publisher
 * under the test's control: which requests it places where and in which order, when it acknowledges
 * a delivery (its handler's promise resolves), and when it gives one back (requeue) or fails it.
 */

const DELIVERY: Delivery = {
  queue: 'req.echo',
  exchange: '',
  routingKey: 'req.echo',
  redelivered: false,
  deliveries: 1,
  priority: undefined,
  messageId: undefined,
  headers: {},
};

/** Consumes by handing each queue's handler to the test, which delivers requests itself. */
class Broker extends EventEmitter<AmqpConnectionEvents> implements DispatcherConnection {
  readonly handlers = new Map<string, MessageHandler<TaskRequest>>();

  consume<S extends z.ZodType>(
    queue: string,
    _schema: S,
    handler: MessageHandler<z.output<S>>,
  ): Promise<ConsumerHandle> {
    // The dispatcher consumes request queues only, with the request schema.
    this.handlers.set(queue, handler as MessageHandler<TaskRequest>);
    return Promise.resolve({
      queue,
      cancel: async () => {
        this.handlers.delete(queue);
      },
    });
  }
}

/** The workers' capacity as placement sees it; reservations journalled. */
class Workers extends EventEmitter<WorkerRegistryEvents> {
  readonly capacity = new CapacityIndex();
  readonly reserved: string[] = [];
  readonly unreserved: string[] = [];

  serve(workerId: string, freeSlots: number, taskTypes: Record<string, string> = { echo: '1.0.0' }): void {
    const advertisement: WorkerAdvertisement = {
      role: 'worker',
      workerId,
      queue: `wlm.worker.${workerId}`,
      slots: Math.max(1, freeSlots),
      freeSlots,
      taskTypes,
      labels: {},
    };
    this.capacity.upsert(advertisement);
    this.emit('capacity');
  }

  leave(workerId: string): void {
    this.capacity.remove(workerId);
    this.emit('capacity');
  }

  reserve(workerId: string, key: string): void {
    this.reserved.push(`${workerId} ${key}`);
  }

  unreserve(workerId: string, key: string): void {
    this.unreserved.push(`${workerId} ${key}`);
    this.capacity.release(workerId);
    this.emit('capacity');
  }
}

/** Publishes assignments as the test says: placed, duplicate, refused, or held until released. */
class Publisher {
  readonly sent: Array<{ key: string; workerId: string }> = [];
  outcome: 'placed' | 'duplicate' | 'refused' = 'placed';
  hold = false;
  private readonly holds: Array<() => void> = [];

  readonly publish = async (request: TaskRequest, workerId: string): Promise<PlacementResult> => {
    if (this.hold) await new Promise<void>((resolve) => this.holds.push(resolve));
    if (this.outcome === 'refused') throw new Error('the broker did not confirm');
    this.sent.push({ key: `${request.taskId}#${request.attempt}`, workerId });
    if (this.outcome === 'duplicate') return { kind: 'duplicate', workerId, assignmentId: 'earlier' };
    return { kind: 'placed', assignment: assignmentOf(request, workerId) };
  };

  get held(): number {
    return this.holds.length;
  }

  release(): void {
    for (const resolve of this.holds.splice(0)) resolve();
  }
}

/** The scheduler's other messages, journalled; CANCELLED can be refused. */
class Messages {
  readonly published: string[] = [];
  refuseCancelled = false;

  async cancelled(request: TaskRequest, reason: string): Promise<void> {
    if (this.refuseCancelled) throw new Error('the broker did not confirm');
    this.published.push(`CANCELLED ${request.taskId}: ${reason}`);
  }

  async waiting(request: TaskRequest): Promise<void> {
    this.published.push(`WAITING ${request.taskId}`);
  }

  async unschedulable(request: Pick<TaskRequest, 'taskId'>, why: string): Promise<void> {
    this.published.push(`UNSCHEDULABLE ${request.taskId}: ${why}`);
  }
}

function assignmentOf(request: TaskRequest, workerId: string): TaskAssignment {
  return taskAssignmentSchema.parse({
    ...request,
    assignmentId: `as-${request.taskId}-${request.attempt}`,
    workerId,
    assignedAt: new Date().toISOString(),
  });
}

function request(taskId: string, overrides: Partial<TaskRequestInput> = {}): TaskRequest {
  return taskRequestSchema.parse(
    taskRequest('exp-1', taskId, { requestedAt: new Date(Date.now() - 1_000).toISOString(), ...overrides }),
  );
}

/** How a delivery was settled: still held, acknowledged, or given back with an error. */
type Settled = { state: 'held' } | { state: 'acked' } | { state: 'rejected'; error: unknown };

interface Setup {
  readonly dispatcher: RequestDispatcher;
  readonly broker: Broker;
  readonly workers: Workers;
  readonly publisher: Publisher;
  readonly messages: Messages;
  readonly notedTypes: string[];
  readonly emitted: Array<{ name: string; taskId: string; detail?: string }>;
  /** Delivers `request` from its type's queue; the returned record follows its settlement. */
  deliver(request: TaskRequest): Settled;
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A few turns of the event loop, then short sleeps; bounded in turns and time. */
async function until(what: string, condition: () => boolean, withinMs = 2_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (let turn = 0; turn < 1_000 && !condition() && Date.now() < deadline; turn += 1) {
    await (turn < 50 ? flush() : new Promise((resolve) => setTimeout(resolve, 10)));
  }
  if (!condition()) throw new Error(`never happened: ${what}`);
}

function isRequeue(settled: Settled): boolean {
  return settled.state === 'rejected' && settled.error instanceof WlmError && settled.error.retryable;
}

async function started(): Promise<Setup> {
  const broker = new Broker();
  const workers = new Workers();
  const publisher = new Publisher();
  const messages = new Messages();
  const events = new EventEmitter<SchedulerServiceEvents>();
  const emitted: Array<{ name: string; taskId: string; detail?: string }> = [];
  events.on('task:placed', ({ request: placed, workerId }) =>
    emitted.push({ name: 'placed', taskId: placed.taskId, detail: workerId }),
  );
  events.on('task:held', ({ request: held, reason }) =>
    emitted.push({ name: 'held', taskId: held.taskId, detail: reason }),
  );
  events.on('task:duplicate', (duplicate) => emitted.push({ name: 'duplicate', taskId: duplicate.taskId }));
  events.on('task:cancelled', (cancelled) => emitted.push({ name: 'cancelled', taskId: cancelled.taskId }));
  const notedTypes: string[] = [];
  const dispatcher = new RequestDispatcher({
    amqp: broker,
    topology: { requestQueue: (taskType) => `req.${taskType}` },
    registry: workers,
    publisher,
    messages,
    cancels: new RecentCancels(60_000),
    events,
    typeWaits: {
      note: async (taskType) => {
        notedTypes.push(taskType);
      },
    },
    declare: async () => undefined,
    logger: createLogger({ component: 'test', level: 'silent', pretty: false }),
    prefetch: 100,
    placedTtlMs: 60_000,
    placedMax: 1_000,
    backlogLogMs: 60_000,
    maxHoldMs: 60_000,
  });
  await dispatcher.start();
  const deliver = (delivered: TaskRequest): Settled => {
    const handler = broker.handlers.get(`req.${delivered.taskType}`);
    if (handler === undefined) throw new Error(`nobody consumes req.${delivered.taskType}`);
    const settled: Settled = { state: 'held' };
    Promise.resolve(handler(delivered, DELIVERY)).then(
      () => Object.assign(settled, { state: 'acked' }),
      (error: unknown) => Object.assign(settled, { state: 'rejected', error }),
    );
    return settled;
  };
  return { dispatcher, broker, workers, publisher, messages, notedTypes, emitted, deliver };
}

describe('RequestDispatcher', () => {
  let setup: Setup | undefined;

  afterEach(async () => {
    await setup?.dispatcher.drain();
    setup = undefined;
  });

  it('consumes only the types a live worker runs', async () => {
    setup = await started();
    expect([...setup.broker.handlers.keys()]).toEqual([]);
    setup.workers.serve('w1', 1);
    await until('the echo consumer', () => setup?.broker.handlers.has('req.echo') === true);
    expect(setup.dispatcher.status().consumedTypes).toEqual(['echo']);
  });

  it('places a request and acknowledges it only once its assignment is confirmed', async () => {
    setup = await started();
    const { workers, publisher, deliver, emitted } = setup;
    workers.serve('w1', 2);
    await until('the consumer', () => setup?.broker.handlers.has('req.echo') === true);
    publisher.hold = true;
    const settled = deliver(request('t1'));
    await until('the publish', () => publisher.held === 1);
    expect(settled.state).toBe('held');
    expect(workers.reserved).toEqual([`w1 ${attemptKey(request('t1'))}`]);
    publisher.release();
    await until('the ack', () => settled.state !== 'held');
    expect(settled.state).toBe('acked');
    expect(publisher.sent).toEqual([{ key: 't1#1', workerId: 'w1' }]);
    expect(emitted).toEqual([{ name: 'placed', taskId: 't1', detail: 'w1' }]);
    expect(setup.dispatcher.status().placed).toBe(1);
  });

  it('holds what does not fit, unacknowledged, and places it highest priority first, then oldest, when capacity appears', async () => {
    setup = await started();
    const { workers, publisher, deliver, emitted } = setup;
    workers.serve('w1', 0);
    await until('the consumer', () => setup?.broker.handlers.has('req.echo') === true);
    const low = deliver(request('low', { priority: 1 }));
    const olderHigh = deliver(request('older-high', { priority: 9 }));
    const newerHigh = deliver(request('newer-high', { priority: 9 }));
    await until('three held for capacity', () => emitted.length === 3);
    expect(setup.dispatcher.status().held).toBe(3);
    expect(emitted.filter((e) => e.name === 'held').map((e) => e.detail)).toEqual([
      'capacity',
      'capacity',
      'capacity',
    ]);
    expect([low.state, olderHigh.state, newerHigh.state]).toEqual(['held', 'held', 'held']);
    workers.serve('w1', 2);
    await until('two placed', () => publisher.sent.length === 2);
    await until('their acks', () => olderHigh.state === 'acked' && newerHigh.state === 'acked');
    expect(publisher.sent.map((sent) => sent.key)).toEqual(['older-high#1', 'newer-high#1']);
    expect(low.state).toBe('held');
  });

  it('avoids an excluded worker while another capable one exists', async () => {
    setup = await started();
    const { workers, publisher, deliver } = setup;
    workers.serve('w1', 3);
    workers.serve('w2', 1);
    await until('the consumer', () => setup?.broker.handlers.has('req.echo') === true);
    const settled = deliver(request('retry', { attempt: 2, excludeWorkers: ['w1'] }));
    await until('the ack', () => settled.state === 'acked');
    expect(publisher.sent).toEqual([{ key: 'retry#2', workerId: 'w2' }]);
  });

  it('gives a request back to the queue, its reservation undone, when the assignment is not confirmed', async () => {
    setup = await started();
    const { workers, publisher, deliver } = setup;
    workers.serve('w1', 1);
    await until('the consumer', () => setup?.broker.handlers.has('req.echo') === true);
    publisher.outcome = 'refused';
    const settled = deliver(request('t1'));
    await until('the settlement', () => settled.state !== 'held');
    expect(isRequeue(settled)).toBe(true);
    expect(workers.unreserved).toHaveLength(1);
    expect(workers.capacity.get('w1')?.freeSlots).toBe(1);
  });

  it('acknowledges an attempt placed before (by any instance) without counting it placed', async () => {
    setup = await started();
    const { workers, publisher, deliver, emitted } = setup;
    workers.serve('w1', 1);
    await until('the consumer', () => setup?.broker.handlers.has('req.echo') === true);
    publisher.outcome = 'duplicate';
    const settled = deliver(request('t1'));
    await until('the ack', () => settled.state === 'acked');
    expect(emitted.map((e) => e.name)).toEqual(['duplicate']);
    expect(workers.unreserved).toHaveLength(1);
    expect(setup.dispatcher.status().placed).toBe(0);
  });

  it('acknowledges a redelivery of an attempt it placed without sending it again', async () => {
    setup = await started();
    const { workers, publisher, deliver } = setup;
    workers.serve('w1', 5);
    await until('the consumer', () => setup?.broker.handlers.has('req.echo') === true);
    const first = deliver(request('t1'));
    await until('the first ack', () => first.state === 'acked');
    const again = deliver(request('t1'));
    await until('the second ack', () => again.state === 'acked');
    expect(publisher.sent).toHaveLength(1);
  });

  it('keeps the newest of two copies of one held attempt and acknowledges the other', async () => {
    setup = await started();
    const { workers, publisher, deliver } = setup;
    workers.serve('w1', 0);
    await until('the consumer', () => setup?.broker.handlers.has('req.echo') === true);
    const first = deliver(request('t1'));
    const second = deliver(request('t1'));
    await until('the first acked as a duplicate', () => first.state === 'acked');
    expect(second.state).toBe('held');
    expect(setup.dispatcher.status().held).toBe(1);
    workers.serve('w1', 1);
    await until('the second placed', () => second.state === 'acked');
    expect(publisher.sent).toHaveLength(1);
  });

  it('drops a cancelled held request with a CANCELLED event and acknowledges it; a late copy too', async () => {
    setup = await started();
    const { dispatcher, workers, publisher, messages, deliver } = setup;
    workers.serve('w1', 0);
    await until('the consumer', () => setup?.broker.handlers.has('req.echo') === true);
    const held = deliver(request('t1'));
    await until('held', () => dispatcher.status().held === 1);
    const dropped = await dispatcher.cancel({
      v: 1,
      type: 'CANCEL_TASK',
      experimentId: 'exp-1',
      run: 1,
      requestedAt: new Date().toISOString(),
      reason: 'stopped by its owner',
    });
    expect(dropped).toBe(1);
    await until('the ack', () => held.state === 'acked');
    const late = deliver(request('t2'));
    await until('the late ack', () => late.state === 'acked');
    workers.serve('w1', 4);
    await flush();
    expect(publisher.sent).toEqual([]);
    expect(messages.published).toEqual([
      'CANCELLED t1: stopped by its owner',
      'CANCELLED t2: cancelled before it reached a worker',
    ]);
  });

  it('gives a cancelled request back to the queue when its CANCELLED is not confirmed', async () => {
    setup = await started();
    const { dispatcher, workers, messages, deliver } = setup;
    workers.serve('w1', 0);
    await until('the consumer', () => setup?.broker.handlers.has('req.echo') === true);
    const held = deliver(request('t1'));
    await until('held', () => dispatcher.status().held === 1);
    messages.refuseCancelled = true;
    await dispatcher.cancel({
      v: 1,
      type: 'CANCEL_TASK',
      experimentId: 'exp-1',
      run: 1,
      requestedAt: new Date().toISOString(),
    });
    await until('the settlement', () => held.state !== 'held');
    expect(isRequeue(held)).toBe(true);
  });

  it('waits for a future notBefore before placing', async () => {
    setup = await started();
    const { dispatcher, workers, publisher, deliver, emitted } = setup;
    workers.serve('w1', 1);
    await until('the consumer', () => setup?.broker.handlers.has('req.echo') === true);
    const settled = deliver(request('later', { notBefore: new Date(Date.now() + 150).toISOString() }));
    await until('deferred', () => dispatcher.status().deferred === 1);
    expect(emitted).toEqual([{ name: 'held', taskId: 'later', detail: 'not-before' }]);
    expect(publisher.sent).toEqual([]);
    await until('placed after its notBefore', () => settled.state === 'acked');
    expect(publisher.sent).toEqual([{ key: 'later#1', workerId: 'w1' }]);
  });

  it('fails a held request whose queue timeout ran out (TASK_UNSCHEDULABLE) and acknowledges it', async () => {
    setup = await started();
    const { dispatcher, workers, messages, deliver } = setup;
    workers.serve('w1', 0);
    await until('the consumer', () => setup?.broker.handlers.has('req.echo') === true);
    const held = deliver(request('t1', { queueTimeoutMs: 60_000 }));
    await until('held', () => dispatcher.status().held === 1);
    expect(await dispatcher.queueTimedOut(requestKey(request('t1')))).toBe('expired');
    await until('the ack', () => held.state === 'acked');
    expect(messages.published).toEqual([
      expect.stringMatching(/^UNSCHEDULABLE t1: every worker that runs echo/),
    ]);
    expect(await dispatcher.queueTimedOut(requestKey(request('unknown')))).toBe('unknown');
  });

  it('hands its held requests back, announcing the wait, when the last worker of their type goes', async () => {
    setup = await started();
    const { broker, workers, messages, notedTypes, deliver } = setup;
    workers.serve('w1', 0);
    await until('the consumer', () => broker.handlers.has('req.echo'));
    const held = deliver(request('t1'));
    await until('held', () => setup?.dispatcher.status().held === 1);
    workers.leave('w1');
    await until('the hand-back', () => held.state !== 'held');
    expect(isRequeue(held)).toBe(true);
    await until('the consumer stopped', () => !broker.handlers.has('req.echo'));
    await until('the wait announced', () => messages.published.length === 1);
    expect(messages.published).toEqual(['WAITING t1']);
    expect(notedTypes).toEqual(['echo']);
  });

  it('forgets every held request when the connection drops (the broker requeued them all)', async () => {
    setup = await started();
    const { broker, workers, deliver } = setup;
    workers.serve('w1', 0);
    await until('the consumer', () => broker.handlers.has('req.echo'));
    const held = deliver(request('t1'));
    await until('held', () => setup?.dispatcher.status().held === 1);
    broker.emit('disconnected', new Error('connection reset'));
    await until('the release', () => held.state !== 'held');
    expect(isRequeue(held)).toBe(true);
    expect(setup.dispatcher.status().held).toBe(0);
  });

  it('on drain, hands back what it holds and refuses what comes after', async () => {
    setup = await started();
    const { dispatcher, broker, workers, deliver } = setup;
    workers.serve('w1', 0);
    await until('the consumer', () => broker.handlers.has('req.echo'));
    const held = deliver(request('t1'));
    const handler = broker.handlers.get('req.echo');
    await until('held', () => dispatcher.status().held === 1);
    await dispatcher.drain();
    await until('the hand-back', () => held.state !== 'held');
    expect(isRequeue(held)).toBe(true);
    await expect(Promise.resolve(handler?.(request('t2'), DELIVERY))).rejects.toMatchObject({
      code: 'SHUTTING_DOWN',
      retryable: true,
    });
  });
});

import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import { WlmError } from '@wlm/commons/errors';
import { createLogger } from '@wlm/commons/logging';
import { taskEventSchema, taskRequestSchema } from '@wlm/commons/wire';
import type { ConsumerHandle, Delivery, MessageHandler } from '@wlm/commons/amqp';
import type { TaskEvent, TaskEventOf, TaskRequest, TaskRequestInput } from '@wlm/commons/wire';
import { SCHEDULER_FAILURE_CODES } from '../../../src/service/scheduler-messages';
import type { SchedulerServiceEvents } from '../../../src/service/service-events';
import { TaskEventHandler } from '../../../src/service/task-event-handler';

/*
 * What the scheduler does with the task events it consumes, the broker and its publishes under the
 * test's control. The scheduler alone decides worker exclusion: a worker's retryable FAILED carries
 * its request unchanged, and the next attempt excludes the worker the event names.
 */

const DELIVERY: Delivery = {
  queue: 'scheduler.events',
  exchange: 'events',
  routingKey: 'task.failed',
  redelivered: false,
  deliveries: 1,
  priority: undefined,
  messageId: undefined,
  headers: {},
};

function request(overrides: Partial<TaskRequestInput> = {}): TaskRequest {
  return taskRequestSchema.parse({
    v: 1,
    experimentId: 'exp-1',
    run: 1,
    taskId: 't1',
    attempt: 1,
    taskType: 'echo',
    context: {},
    priority: 5,
    requestedAt: '2026-01-01T00:00:00.000Z',
    retry: { maxAttempts: 3, backoffMs: 1_000 },
    excludeWorkers: ['w0'],
    ...overrides,
  });
}

function failed(
  of: TaskRequest,
  fields: { workerId?: string; retryable: boolean; errorCode?: string; withRequest?: boolean },
): TaskEventOf<'FAILED'> {
  return taskEventSchema.parse({
    v: 1,
    state: 'FAILED',
    experimentId: of.experimentId,
    run: of.run,
    taskId: of.taskId,
    attempt: of.attempt,
    at: new Date().toISOString(),
    reason: 'it failed',
    retryable: fields.retryable,
    ...(fields.workerId === undefined ? {} : { workerId: fields.workerId }),
    ...(fields.errorCode === undefined ? {} : { errorCode: fields.errorCode }),
    ...(fields.withRequest === true ? { request: of } : {}),
  }) as TaskEventOf<'FAILED'>;
}

interface Setup {
  readonly handle: (event: TaskEvent) => Promise<void>;
  readonly requested: TaskRequest[];
  readonly exhausted: Array<{ request: TaskRequest; maxAttempts: number }>;
  readonly acknowledged: TaskEvent[];
  readonly retried: Array<{ request: TaskRequest; delayMs: number }>;
  /** Publishes refused from now on. */
  refuse: boolean;
}

async function started(): Promise<Setup> {
  let handler: MessageHandler<TaskEvent> | undefined;
  const events = new EventEmitter<SchedulerServiceEvents>();
  const setup: Setup = {
    handle: async (event) => {
      if (handler === undefined) throw new Error('not consuming');
      await handler(event, DELIVERY);
    },
    requested: [],
    exhausted: [],
    acknowledged: [],
    retried: [],
    refuse: false,
  };
  events.on('task:retried', (retry) => setup.retried.push(retry));
  const taskEvents = new TaskEventHandler({
    amqp: {
      consume: async <S extends z.ZodType>(
        queue: string,
        _schema: S,
        consumed: MessageHandler<z.output<S>>,
      ): Promise<ConsumerHandle> => {
        // The handler consumes task events only, with the task event schema.
        handler = consumed as MessageHandler<TaskEvent>;
        return { queue, cancel: async () => undefined };
      },
    },
    topology: { queues: { schedulerEvents: 'scheduler.events' } },
    registry: { acknowledge: (event) => setup.acknowledged.push(event) },
    messages: {
      request: async (next) => {
        if (setup.refuse) throw new Error('the broker did not confirm');
        setup.requested.push(next);
      },
      retriesExhausted: async (_failed, of, maxAttempts) => {
        if (setup.refuse) throw new Error('the broker did not confirm');
        setup.exhausted.push({ request: of, maxAttempts });
      },
    },
    events,
    logger: createLogger({ component: 'test', level: 'silent', pretty: false }),
    prefetch: 10,
    maxBackoffMs: 60_000,
  });
  await taskEvents.start();
  return setup;
}

describe('TaskEventHandler', () => {
  it('answers a retryable FAILED with the next attempt, excluding the worker the event names, after the backoff', async () => {
    const setup = await started();
    const failure = failed(request(), { workerId: 'w2', retryable: true, withRequest: true });
    await setup.handle(failure);
    expect(setup.acknowledged).toEqual([failure]);
    expect(setup.requested).toHaveLength(1);
    const [next] = setup.requested;
    expect(next).toMatchObject({ taskId: 't1', attempt: 2, excludeWorkers: ['w0', 'w2'] });
    // Held for the policy's backoff from when it was requested.
    expect(Date.parse(next?.notBefore ?? '') - Date.parse(next?.requestedAt ?? '')).toBe(1_000);
    expect(setup.retried).toEqual([{ request: next, delayMs: 1_000 }]);
  });

  it('names each worker once, however the request came', async () => {
    const setup = await started();
    // A worker of an earlier release excluded itself already: the scheduler's list stays the same.
    const earlier = request({ excludeWorkers: ['w0', 'w2'] });
    await setup.handle(failed(earlier, { workerId: 'w2', retryable: true, withRequest: true }));
    expect(setup.requested[0]?.excludeWorkers).toEqual(['w0', 'w2']);
  });

  it('fails the task for good (RETRIES_EXHAUSTED) after its last allowed attempt, requesting nothing', async () => {
    const setup = await started();
    const last = request({ attempt: 3 });
    await setup.handle(failed(last, { workerId: 'w2', retryable: true, withRequest: true }));
    expect(setup.requested).toEqual([]);
    expect(setup.exhausted).toEqual([{ request: last, maxAttempts: 3 }]);
  });

  it('throws a retryable error (the event is requeued, not acked) when the next attempt is not confirmed', async () => {
    const setup = await started();
    setup.refuse = true;
    const outcome = setup.handle(failed(request(), { workerId: 'w2', retryable: true, withRequest: true }));
    await expect(outcome).rejects.toBeInstanceOf(WlmError);
    await expect(outcome).rejects.toMatchObject({ code: 'AMQP_PUBLISH_FAILED', retryable: true });
  });

  it('only frees the slot of a FAILED for good', async () => {
    const setup = await started();
    const final = failed(request(), { workerId: 'w2', retryable: false });
    await setup.handle(final);
    expect(setup.acknowledged).toEqual([final]);
    expect(setup.requested).toEqual([]);
    expect(setup.exhausted).toEqual([]);
  });

  it("ignores the scheduler's own FAILED events that come back through the queue", async () => {
    const setup = await started();
    await setup.handle(
      failed(request(), { workerId: 'w2', retryable: true, errorCode: SCHEDULER_FAILURE_CODES.workerLost }),
    );
    expect(setup.acknowledged).toEqual([]);
    expect(setup.requested).toEqual([]);
  });

  it("requests a DEFERRED task's next round as the worker gave it", async () => {
    const setup = await started();
    const nextRound = request({
      notBefore: '2026-01-01T00:05:00.000Z',
      continuation: { round: 2, checkpoint: { job: 42 } },
    });
    const deferred = taskEventSchema.parse({
      v: 1,
      state: 'DEFERRED',
      experimentId: 'exp-1',
      run: 1,
      taskId: 't1',
      attempt: 1,
      at: new Date().toISOString(),
      workerId: 'w2',
      message: 'job 42 is pending',
      request: nextRound,
    });
    await setup.handle(deferred);
    expect(setup.acknowledged).toEqual([deferred]);
    expect(setup.requested).toEqual([nextRound]);
  });
});

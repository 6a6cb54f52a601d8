import { EventEmitter } from 'node:events';
import { RecentSet } from '@wlm/commons/collections';
import { RecentCancels } from '@wlm/commons/control';
import { WlmError } from '@wlm/commons/errors';
import { createLogger } from '@wlm/commons/logging';
import { MAX_JSON_DEPTH, encodeMessage, taskAssignmentSchema, taskEventSchema } from '@wlm/commons/wire';
import type { Delivery } from '@wlm/commons/amqp';
import type { JsonValue, TaskAssignment, TaskEvent } from '@wlm/commons/wire';
import { TASK_FAILURE_CODES } from '../../../src/execution';
import type { LoadedPlugin, TaskOutcome, TaskRunRequest } from '../../../src/execution';
import { AssignmentHandler } from '../../../src/runtime/assignment-handler';
import type { TaskRunner } from '../../../src/runtime/assignment-handler';
import { RunningTasks } from '../../../src/runtime/running-tasks';
import type { WorkerEvents } from '../../../src/runtime/worker-events';

/*
 * The handler's decisions about one assignment, with the task runner and the event publisher under
 * the test's control: which events it publishes, in which order, when it resolves (the consumer acks
 * then), and when it throws to hand the assignment back. Every event goes through the wire schema, as
 * the real publisher's does.
 */

const WORKER = 'w1';

const echo: LoadedPlugin = {
  taskType: 'echo',
  version: '1.0.0',
  description: 'echo',
  specifier: '@wlm/task-echo',
  modulePath: '/dev/null',
};

let serial = 0;

function assignmentOf(overrides: Partial<TaskAssignment> = {}): TaskAssignment {
  serial += 1;
  return taskAssignmentSchema.parse({
    v: 1,
    experimentId: `exp-${serial}`,
    run: 1,
    taskId: 'stage-in',
    attempt: 1,
    taskType: 'echo',
    context: { message: 'hi' },
    priority: 5,
    requestedAt: '2026-01-01T00:00:00.000Z',
    excludeWorkers: ['w0'],
    assignmentId: `as-${serial}`,
    workerId: WORKER,
    assignedAt: '2026-01-01T00:00:01.000Z',
    ...overrides,
  });
}

const delivery: Delivery = {
  queue: 'q.worker.w1',
  exchange: '',
  routingKey: 'q.worker.w1',
  redelivered: false,
  deliveries: 1,
  priority: 5,
  messageId: undefined,
  headers: {},
};

/** A runner whose runs end when the test says, with the outcome the test gives. */
class ScriptedRunner implements TaskRunner {
  readonly runs: TaskRunRequest[] = [];
  private readonly pending: Array<(outcome: TaskOutcome) => void> = [];
  /** Ends every run at once with this outcome, if set. */
  immediate: TaskOutcome | undefined;

  run(request: TaskRunRequest, signal?: AbortSignal): Promise<TaskOutcome> {
    this.runs.push(request);
    if (this.immediate !== undefined) return Promise.resolve(this.immediate);
    return new Promise((resolve) => {
      this.pending.push(resolve);
      signal?.addEventListener('abort', () => {
        const reason: unknown = signal.reason;
        const kind = (reason as { kind?: string } | undefined)?.kind;
        resolve(
          kind === 'shutdown'
            ? { status: 'failed', code: 'SHUTTING_DOWN', retryable: true, reason: 'stopped' }
            : { status: 'cancelled', reason: 'cancelled' },
        );
      });
    });
  }

  finish(outcome: TaskOutcome): void {
    const next = this.pending.shift();
    if (next === undefined) throw new Error('no run waiting');
    next(outcome);
  }

  get waiting(): number {
    return this.pending.length;
  }
}

/** Publishes through the wire schema and journals what was confirmed; can refuse or hold. */
class Publisher {
  readonly confirmed: Array<{ event: TaskEvent; messageId: string | undefined }> = [];
  refuse: ((event: TaskEvent) => boolean) | undefined;
  /** The confirm of each event of this state waits until {@link release}. */
  holdState: TaskEvent['state'] | undefined;
  private readonly holds: Array<() => void> = [];

  readonly publish = async (event: TaskEvent, messageId?: string): Promise<void> => {
    encodeMessage(taskEventSchema, event);
    await Promise.resolve();
    if (event.state === this.holdState) await new Promise<void>((resolve) => this.holds.push(resolve));
    if (this.refuse?.(event) === true) throw new Error('channel closed before the confirm');
    this.confirmed.push({ event, messageId });
  };

  get held(): number {
    return this.holds.length;
  }

  release(): void {
    for (const resolve of this.holds.splice(0)) resolve();
  }

  states(): string[] {
    return this.confirmed.map(({ event }) => event.state);
  }
}

interface Setup {
  readonly handler: AssignmentHandler;
  readonly runner: ScriptedRunner;
  readonly publisher: Publisher;
  readonly cancels: RecentCancels;
  readonly finished: RecentSet<string>;
  readonly running: RunningTasks;
  readonly emitted: string[];
}

/** `runningReportDelayMs` 0 (RUNNING as each run starts) unless a test is about the delay. */
function setUp(runningReportDelayMs = 0): Setup {
  const runner = new ScriptedRunner();
  const publisher = new Publisher();
  const cancels = new RecentCancels(60_000);
  const finished = new RecentSet<string>({ capacity: 100 });
  const running = new RunningTasks();
  const events = new EventEmitter<WorkerEvents>();
  const emitted: string[] = [];
  for (const name of [
    'task:started',
    'task:completed',
    'task:failed',
    'task:deferred',
    'task:cancelled',
    'task:duplicate',
    'task:handed-back',
  ] as const) {
    events.on(name, () => emitted.push(name));
  }
  const handler = new AssignmentHandler({
    workerId: WORKER,
    plugins: new Map([['echo', echo]]),
    runner,
    publish: publisher.publish,
    cancels,
    finished,
    running,
    progressIntervalMs: 1_000,
    runningReportDelayMs,
    events,
    logger: createLogger({ component: 'test', level: 'silent', pretty: false }),
    onLoadChange: () => undefined,
  });
  handler.startAccepting();
  return { handler, runner, publisher, cancels, finished, running, emitted };
}

/** Resolves with what the handler's promise did: resolved (ack) or threw (the error). */
async function settle(promise: Promise<void>): Promise<{ acked: true } | { acked: false; error: unknown }> {
  try {
    await promise;
    return { acked: true };
  } catch (error) {
    return { acked: false, error };
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 200 && !condition(); turn += 1) await flush();
  if (!condition()) throw new Error(`never happened: ${what}`);
}

function isHandBack(error: unknown): boolean {
  return error instanceof WlmError && error.code === 'SHUTTING_DOWN' && error.retryable;
}

describe('AssignmentHandler', () => {
  it('runs an assignment: RUNNING, then COMPLETED, and resolves (acks) only once COMPLETED is confirmed', async () => {
    const { handler, runner, publisher, finished, running, emitted } = setUp();
    const assignment = assignmentOf();
    const handled = handler.handle(assignment, delivery);
    await until('the run', () => runner.waiting === 1);
    expect(publisher.states()).toEqual(['RUNNING']);
    expect(running.get(assignment.assignmentId)).toBeDefined();
    expect(runner.runs[0]).toMatchObject({
      experimentId: assignment.experimentId,
      params: { message: 'hi' },
    });
    publisher.holdState = 'COMPLETED';
    let acked = false;
    const outcome = settle(handled).then((result) => {
      acked = true;
      return result;
    });
    runner.finish({ status: 'completed', outputs: { echoed: 'hi' } });
    await until('the COMPLETED publish', () => publisher.held === 1);
    await flush();
    expect(acked).toBe(false);
    expect(finished.has(assignment.assignmentId)).toBe(false);
    publisher.release();
    expect(await outcome).toEqual({ acked: true });
    expect(publisher.states()).toEqual(['RUNNING', 'COMPLETED']);
    expect(publisher.confirmed[1]).toMatchObject({
      event: { outputs: { echoed: 'hi' }, workerId: WORKER },
      messageId: `${assignment.assignmentId}:completed`,
    });
    expect(finished.has(assignment.assignmentId)).toBe(true);
    expect(running.size).toBe(0);
    expect(emitted).toEqual(['task:started', 'task:completed']);
  });

  it('gives the assignment back (retryable error, no ack) when its terminal event is not confirmed', async () => {
    const { handler, runner, publisher, finished } = setUp();
    runner.immediate = { status: 'completed', outputs: null };
    publisher.refuse = (event) => event.state === 'COMPLETED';
    const assignment = assignmentOf();
    const outcome = await settle(handler.handle(assignment, delivery));
    expect(outcome.acked).toBe(false);
    const error = outcome.acked ? undefined : outcome.error;
    expect(error).toBeInstanceOf(WlmError);
    expect((error as WlmError).code).toBe('AMQP_PUBLISH_FAILED');
    expect((error as WlmError).retryable).toBe(true);
    // Not remembered as finished: its redelivery must report it again.
    expect(finished.has(assignment.assignmentId)).toBe(false);
  });

  it('fails a task whose outputs the wire refuses, for good (TASK_OUTPUT_INVALID), and acks', async () => {
    const { handler, runner, publisher, emitted } = setUp();
    // Nested deeper than the wire's JSON allows: no COMPLETED can carry it.
    let deep: JsonValue = 'leaf';
    for (let level = 0; level <= MAX_JSON_DEPTH; level += 1) deep = { deeper: deep };
    runner.immediate = { status: 'completed', outputs: deep };
    const outcome = await settle(handler.handle(assignmentOf(), delivery));
    expect(outcome).toEqual({ acked: true });
    expect(publisher.states()).toEqual(['RUNNING', 'FAILED']);
    expect(publisher.confirmed[1]?.event).toMatchObject({
      retryable: false,
      errorCode: TASK_FAILURE_CODES.OUTPUT_INVALID,
    });
    expect(emitted).toContain('task:failed');
  });

  it('reports a retryable failure with the request to retry, unchanged: the scheduler decides exclusion', async () => {
    const { handler, runner, publisher } = setUp();
    runner.immediate = { status: 'failed', code: 'SERVICE_BUSY', retryable: true, reason: 'busy' };
    const assignment = assignmentOf();
    expect(await settle(handler.handle(assignment, delivery))).toEqual({ acked: true });
    const failed = publisher.confirmed[1]?.event;
    expect(failed).toMatchObject({
      state: 'FAILED',
      workerId: WORKER,
      retryable: true,
      errorCode: 'SERVICE_BUSY',
    });
    expect(failed?.state === 'FAILED' ? failed.request : undefined).toMatchObject({
      attempt: 1,
      excludeWorkers: ['w0'],
    });
  });

  it('reports a failure for good without a request', async () => {
    const { handler, runner, publisher } = setUp();
    runner.immediate = { status: 'failed', code: 'INPUT_MISSING', retryable: false, reason: 'no file' };
    expect(await settle(handler.handle(assignmentOf(), delivery))).toEqual({ acked: true });
    expect(publisher.confirmed[1]?.event).toMatchObject({ state: 'FAILED', retryable: false });
    expect(publisher.confirmed[1]?.event).not.toHaveProperty('request');
  });

  it("ends a round with DEFERRED carrying the next round, due after the plugin's delay", async () => {
    const { handler, runner, publisher } = setUp();
    runner.immediate = { status: 'continued', checkpoint: { job: 42 }, delayMs: 5_000, message: 'queued' };
    expect(await settle(handler.handle(assignmentOf(), delivery))).toEqual({ acked: true });
    const deferred = publisher.confirmed[1]?.event;
    expect(deferred?.state).toBe('DEFERRED');
    if (deferred?.state !== 'DEFERRED') return;
    expect(deferred.request.continuation).toEqual({ round: 2, checkpoint: { job: 42 } });
    expect(Date.parse(deferred.request.notBefore ?? '') - Date.parse(deferred.at)).toBe(5_000);
  });

  it('acks a cancelled task with CANCELLED without running it', async () => {
    const { handler, runner, publisher, cancels, emitted } = setUp();
    const assignment = assignmentOf();
    cancels.remember({
      v: 1,
      type: 'CANCEL_TASK',
      experimentId: assignment.experimentId,
      run: 1,
      requestedAt: '2026-01-01T00:00:05.000Z',
      reason: 'stopped by its owner',
    });
    expect(await settle(handler.handle(assignment, delivery))).toEqual({ acked: true });
    expect(runner.runs).toEqual([]);
    expect(publisher.states()).toEqual(['CANCELLED']);
    expect(publisher.confirmed[0]?.event).toMatchObject({ reason: 'stopped by its owner' });
    expect(emitted).toEqual(['task:cancelled']);
  });

  it('fails, retryably, an assignment of a task type it has no plugin for, without running anything', async () => {
    const { handler, runner, publisher } = setUp();
    expect(await settle(handler.handle(assignmentOf({ taskType: 'shell' }), delivery))).toEqual({
      acked: true,
    });
    expect(runner.runs).toEqual([]);
    expect(publisher.confirmed.map(({ event }) => event)).toMatchObject([
      { state: 'FAILED', retryable: true, errorCode: TASK_FAILURE_CODES.TYPE_NOT_SERVED },
    ]);
  });

  it('hands an assignment back without publishing anything while it does not accept work', async () => {
    const { handler, runner, publisher, emitted } = setUp();
    handler.stopAccepting();
    const outcome = await settle(handler.handle(assignmentOf(), delivery));
    expect(outcome.acked).toBe(false);
    expect(isHandBack(outcome.acked ? undefined : outcome.error)).toBe(true);
    expect(runner.runs).toEqual([]);
    expect(publisher.confirmed).toEqual([]);
    expect(emitted).toEqual(['task:handed-back']);
  });

  it('hands back a run stopped for shutdown instead of reporting it', async () => {
    const { handler, runner, publisher, running, finished } = setUp();
    const assignment = assignmentOf();
    const handled = settle(handler.handle(assignment, delivery));
    await until('the run', () => runner.waiting === 1);
    running.stopAll();
    const outcome = await handled;
    expect(isHandBack(outcome.acked ? undefined : outcome.error)).toBe(true);
    expect(publisher.states()).toEqual(['RUNNING']);
    expect(finished.has(assignment.assignmentId)).toBe(false);
  });

  it('acks a redelivery of a finished assignment without running it again', async () => {
    const { handler, runner, emitted } = setUp();
    runner.immediate = { status: 'completed', outputs: null };
    const assignment = assignmentOf();
    await handler.handle(assignment, delivery);
    await handler.handle(assignment, { ...delivery, redelivered: true, deliveries: 2 });
    expect(runner.runs).toHaveLength(1);
    expect(emitted.filter((name) => name === 'task:duplicate')).toHaveLength(1);
  });

  it('settles a redelivery that arrives while the run goes on the way that run ends: one run only', async () => {
    const { handler, runner, publisher } = setUp();
    const assignment = assignmentOf();
    const first = settle(handler.handle(assignment, delivery));
    await until('the run', () => runner.waiting === 1);
    const second = settle(handler.handle(assignment, { ...delivery, redelivered: true, deliveries: 2 }));
    await flush();
    runner.finish({ status: 'completed', outputs: null });
    expect(await first).toEqual({ acked: true });
    expect(await second).toEqual({ acked: true });
    expect(runner.runs).toHaveLength(1);
    expect(publisher.states()).toEqual(['RUNNING', 'COMPLETED']);
  });

  describe('with RUNNING held back (runningReportDelayMs)', () => {
    it('sends a run that ends within the delay as its terminal event alone, which carries its start', async () => {
      const { handler, runner, publisher, emitted } = setUp(60_000);
      const assignment = assignmentOf();
      const handled = settle(handler.handle(assignment, delivery));
      await until('the run', () => runner.waiting === 1);
      const beforeEnd = Date.now();
      runner.finish({ status: 'completed', outputs: { echoed: 'hi' } });
      expect(await handled).toEqual({ acked: true });
      expect(publisher.states()).toEqual(['COMPLETED']);
      const completed = publisher.confirmed[0]?.event;
      if (completed?.state !== 'COMPLETED') throw new Error('no COMPLETED');
      expect(completed.startedAt).toBeDefined();
      expect(Date.parse(completed.startedAt ?? '')).toBeLessThanOrEqual(beforeEnd);
      expect(Date.parse(completed.startedAt ?? '')).toBeLessThanOrEqual(Date.parse(completed.at));
      expect(emitted).toEqual(['task:started', 'task:completed']);
    });

    it('sends RUNNING, dated at the start, once the delay is up; the terminal event then carries no start', async () => {
      const { handler, runner, publisher } = setUp(30);
      const startedBefore = Date.now();
      const handled = settle(handler.handle(assignmentOf(), delivery));
      await until('the run', () => runner.waiting === 1);
      const deadline = Date.now() + 5_000;
      while (publisher.states().length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(publisher.states()).toEqual(['RUNNING']);
      const running = publisher.confirmed[0]?.event;
      expect(Date.parse(running?.at ?? '')).toBeGreaterThanOrEqual(startedBefore);
      // Dated when the run started, not when the delay ran out.
      expect(Date.parse(running?.at ?? '')).toBeLessThan(Date.now() - 20);
      runner.finish({ status: 'completed', outputs: null });
      expect(await handled).toEqual({ acked: true });
      expect(publisher.states()).toEqual(['RUNNING', 'COMPLETED']);
      expect(publisher.confirmed[1]?.event).not.toHaveProperty('startedAt');
    });

    it('sends RUNNING at once when the run reports progress within the delay, ahead of the PROGRESS', async () => {
      const { handler, runner, publisher } = setUp(60_000);
      const handled = settle(handler.handle(assignmentOf(), delivery));
      await until('the run', () => runner.waiting === 1);
      runner.runs[0]?.onProgress?.({ message: 'staging', percent: 10 });
      await until('the RUNNING and the PROGRESS', () => publisher.states().length === 2);
      expect(publisher.states()).toEqual(['RUNNING', 'PROGRESS']);
      runner.finish({ status: 'failed', code: 'BOOM', retryable: false, reason: 'boom' });
      expect(await handled).toEqual({ acked: true });
      expect(publisher.states()).toEqual(['RUNNING', 'PROGRESS', 'FAILED']);
      expect(publisher.confirmed[2]?.event).not.toHaveProperty('startedAt');
    });

    it('says nothing of a run handed back within the delay: whoever runs it next reports the start', async () => {
      const { handler, runner, publisher, running } = setUp(60_000);
      const handled = settle(handler.handle(assignmentOf(), delivery));
      await until('the run', () => runner.waiting === 1);
      running.stopAll();
      const outcome = await handled;
      expect(isHandBack(outcome.acked ? undefined : outcome.error)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(publisher.confirmed).toEqual([]);
    });
  });
});

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { WlmTopology, deleteTopology } from '@wlm/commons/amqp';
import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import { encodeMessage, taskEventRoutingKey, taskEventSchema, taskRequestSchema } from '@wlm/commons/wire';
import type { TaskEventInput, TaskRequest } from '@wlm/commons/wire';
import { runMockOrchestrator } from '../../src/mock-orchestrator/mock-orchestrator';
import type { MockOrchestratorOptions } from '../../src/mock-orchestrator/mock-orchestrator';
import type { ProgressSnapshot } from '../../src/mock-orchestrator/progress';
import type { RunSummary } from '../../src/mock-orchestrator/summary';

// The harness against the real broker. No scheduler or worker: a tiny responder below plays both,
// answering each TaskRequest with the events they would publish. The lead's e2e runs the real ones.
jest.setTimeout(60_000);

const config = loadConfig();
const topology = new WlmTopology(`wlmtest-mockorch-${randomBytes(4).toString('hex')}`);
const logger = createLogger({ component: 'mock-orchestrator-test', level: 'silent', pretty: false });
const cli = join(__dirname, '..', '..', 'dist', 'cli.js');

/** What the responder publishes for one request, in order. */
type Behaviour = (request: TaskRequest) => TaskEventInput[];

interface ReceivedRequest {
  readonly request: TaskRequest;
  readonly amqpPriority: number | undefined;
}

/** Plays scheduler and worker: consumes the request queue, publishes task events with confirms. */
class Responder {
  behaviour: Behaviour = echo;
  readonly received: ReceivedRequest[] = [];

  private constructor(
    private readonly model: ChannelModel,
    private readonly channel: ConfirmChannel,
  ) {}

  static async start(): Promise<Responder> {
    const model = await connect(config.rabbitmq.url);
    const channel = await model.createConfirmChannel();
    // The harness declares the queue itself; the responder may come first, so it declares alike.
    const core = topology.core();
    for (const exchange of core.exchanges) await channel.assertExchange(exchange.name, exchange.type);
    const requests = core.queues.find((q) => q.name === topology.queues.schedulerRequests);
    await channel.assertQueue(topology.queues.schedulerRequests, requests?.options);
    const responder = new Responder(model, channel);
    await channel.prefetch(50);
    await channel.consume(topology.queues.schedulerRequests, (message) => responder.onRequest(message));
    return responder;
  }

  private onRequest(message: ConsumeMessage | null): void {
    if (message === null) return;
    const request = taskRequestSchema.parse(JSON.parse(message.content.toString()));
    this.received.push({ request, amqpPriority: message.properties.priority as number | undefined });
    for (const event of this.behaviour(request)) {
      this.channel.publish(
        topology.exchanges.events,
        taskEventRoutingKey(event),
        encodeMessage(taskEventSchema, event),
        {
          persistent: true,
        },
      );
    }
    void this.channel.waitForConfirms().then(() => this.channel.ack(message));
  }

  requestsOf(experimentId: string): string[] {
    return this.received.filter((r) => r.request.experimentId === experimentId).map((r) => r.request.taskId);
  }

  async close(): Promise<void> {
    await this.model.close().catch(() => undefined);
  }
}

const at = () => new Date().toISOString();
const base = (r: TaskRequest, attempt: number) => ({
  v: 1 as const,
  experimentId: r.experimentId,
  run: r.run,
  taskId: r.taskId,
  attempt,
  at: at(),
});
const running = (r: TaskRequest, attempt = 1): TaskEventInput => ({
  ...base(r, attempt),
  state: 'RUNNING',
  workerId: 'responder',
});
const completed = (r: TaskRequest, attempt = 1): TaskEventInput => ({
  ...base(r, attempt),
  state: 'COMPLETED',
  workerId: 'responder',
  outputs: r.context,
});
const failed = (r: TaskRequest, attempt: number, retryable: boolean, errorCode: string): TaskEventInput => ({
  ...base(r, attempt),
  state: 'FAILED',
  workerId: 'responder',
  reason: `${errorCode} on attempt ${attempt}`,
  retryable,
  errorCode,
});

function echo(request: TaskRequest): TaskEventInput[] {
  return [running(request), completed(request)];
}

/** The echo plugin's `failTimes` with the scheduler's retries, up to the request's `maxAttempts`. */
function echoWithRetries(request: TaskRequest): TaskEventInput[] {
  const context = request.context as { failTimes?: number };
  const maxAttempts = request.retry?.maxAttempts ?? 3;
  const events: TaskEventInput[] = [];
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    events.push(running(request, attempt));
    if (attempt > (context.failTimes ?? 0)) return [...events, completed(request, attempt)];
    events.push(failed(request, attempt, true, 'ECHO_INJECTED_FAILURE'));
  }
  return [...events, failed(request, maxAttempts, false, 'RETRIES_EXHAUSTED')];
}

function run(options: Partial<MockOrchestratorOptions>): Promise<RunSummary> {
  return runMockOrchestrator({
    url: config.rabbitmq.url,
    logger,
    namespace: topology.namespace,
    dags: 5,
    shape: 'chain',
    tasksPerDag: 4,
    seed: 1,
    sleepMs: 0,
    failTimes: 0,
    priority: 5,
    priorityMix: false,
    timeoutMs: 30_000,
    progressIntervalMs: 100,
    ...options,
  });
}

let responder: Responder;
let probe: ChannelModel;

beforeAll(async () => {
  responder = await Responder.start();
  probe = await connect(config.rabbitmq.url);
});

afterAll(async () => {
  await responder?.close();
  const channel = await probe.createChannel();
  await deleteTopology(channel, topology.core());
  await probe.close();
});

beforeEach(() => {
  responder.behaviour = echo;
  responder.received.length = 0;
});

describe('wlm mock-orchestrator against RabbitMQ', () => {
  it('runs every chain to completion, each task once and after its dependency, at its priority', async () => {
    // Every COMPLETED delivered twice: the harness must not dispatch a dependent twice.
    responder.behaviour = (request) => [...echo(request), completed(request)];
    const summary = await run({ dags: 6, priorityMix: true });

    expect(summary).toMatchObject({
      outcome: 'completed',
      ok: true,
      dags: 6,
      tasks: 24,
      completed: 24,
      failed: 0,
      retried: 0,
      dagsCompleted: 6,
    });
    // The run ends on the last task's first COMPLETED, so that task's duplicate may come too late.
    expect(summary.duplicateEvents).toBeGreaterThanOrEqual(23);
    const experiments = [...new Set(responder.received.map((r) => r.request.experimentId))];
    expect(experiments).toHaveLength(6);
    for (const experimentId of experiments) {
      expect(responder.requestsOf(experimentId)).toEqual(['t0', 't1', 't2', 't3']);
    }
    for (const { request, amqpPriority } of responder.received) expect(amqpPriority).toBe(request.priority);
    expect(summary.latency.publishToCompleted.byPriority.map((l) => [l.priority, l.count])).toEqual([
      [9, 8],
      [5, 8],
      [1, 8],
    ]);
    expect(summary.latency.publishToRunning.overall.count).toBe(24);
    expect(summary.tasksPerSecond).toBeGreaterThan(0);
  });

  it('counts retries and completes fan-outs whose tasks fail once before succeeding', async () => {
    responder.behaviour = echoWithRetries;
    const summary = await run({ dags: 3, shape: 'fanout', tasksPerDag: 5, failTimes: 1 });
    expect(summary).toMatchObject({ outcome: 'completed', completed: 15, failed: 0, retried: 15 });
    const request = responder.received[0]?.request;
    expect(request?.retry).toEqual({ maxAttempts: 2, backoffMs: 100 });
    expect(request?.context).toMatchObject({ failTimes: 1 });
  });

  it('fails a DAG whose task fails for good, skips the rest of it and finishes the others', async () => {
    responder.behaviour = (request) =>
      request.experimentId.endsWith('.1') && request.taskId === 't1'
        ? [running(request), failed(request, 1, false, 'BROKEN')]
        : echo(request);
    const summary = await run({ dags: 3, tasksPerDag: 4 });
    expect(summary).toMatchObject({
      outcome: 'failed',
      ok: false,
      completed: 9,
      failed: 1,
      skipped: 2,
      dagsCompleted: 2,
      dagsFailed: 1,
    });
    expect(summary.failures).toEqual([expect.objectContaining({ taskId: 't1', errorCode: 'BROKEN' })]);
  });

  it('does not count a retry the scheduler announced and then refused', async () => {
    responder.behaviour = echoWithRetries;
    const summary = await run({ dags: 2, tasksPerDag: 2, failTimes: 1, maxAttempts: 1 });
    expect(summary).toMatchObject({ outcome: 'failed', failed: 2, retried: 0, skipped: 2 });
    expect(summary.failures.map((f) => f.errorCode)).toEqual(['RETRIES_EXHAUSTED', 'RETRIES_EXHAUSTED']);
  });

  it('times out when a task never finishes, and deletes its own queue', async () => {
    responder.behaviour = (request) => (request.taskId === 't2' ? [running(request)] : echo(request));
    const started = Date.now();
    const progress: ProgressSnapshot[] = [];
    const summary = await run({
      dags: 2,
      tasksPerDag: 3,
      timeoutMs: 1500,
      runId: 'timeout-run',
      onProgress: (snapshot) => progress.push(snapshot),
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(summary).toMatchObject({ outcome: 'timed-out', ok: false, completed: 4, inFlight: 2 });
    // Progress kept coming while the run waited (every 100 ms here, every second by default).
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(progress[progress.length - 1]).toMatchObject({ done: 4, total: 6, inFlight: 2 });

    const channel = await probe.createChannel();
    channel.on('error', () => undefined);
    await expect(channel.checkQueue(`${topology.namespace}.mock-orchestrator.timeout-run`)).rejects.toThrow(
      /404/,
    );
  });

  it('stops at once, with a summary, when its signal aborts', async () => {
    responder.behaviour = () => [];
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(), 300);
    const summary = await run({ dags: 2, signal: interrupt.signal });
    expect(summary).toMatchObject({ outcome: 'interrupted', ok: false, completed: 0, dispatched: 2 });
  });

  it('prints the summary as the last line of stdout with --json, exit status 0', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      cli,
      'mock-orchestrator',
      '--dags',
      '4',
      '--shape',
      'random',
      '--tasks-per-dag',
      '6',
      '--namespace',
      topology.namespace,
      '--timeout-s',
      '30',
      '--json',
    ]);
    const lines = stdout.trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1] ?? '') as RunSummary;
    expect(summary).toMatchObject({ outcome: 'completed', completed: 24, failed: 0, retried: 0 });
  });
});
